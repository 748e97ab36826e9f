"""Bearer tokens, the role of each operation, unit scopes, and raising API errors.

``@access(*roles)`` is the API's ``@roles``: it reads ``Authorization: Bearer <token>``
(401 without a working token), checks the owner's role (403), and leaves the owner in
``g.api_user``. The roles are the web app's (``chargeback.web.access``): the same user
sees the same units and may do the same things with a token as with a password.
"""

from __future__ import annotations

import http
from copy import deepcopy
from functools import wraps

import flask_smorest
from flask import g, request
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit, User
from chargeback.services import tokens
from chargeback.web.access import visible_unit_ids


def fail(status: int, message: str, errors: dict | None = None, **extra) -> None:
    """Answer ``status`` in the API's error shape (``extra`` adds top-level keys)."""
    flask_smorest.abort(status, message=message, errors=errors or {}, extra=extra)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def current_user() -> User:
    return g.api_user


def _authenticate() -> User:
    found = tokens.authenticate(db.session, _bearer())
    if found is None:
        fail(401, "Send a working personal API token: `Authorization: Bearer cb_...` "
                  "(make one on your profile page or with `chargeback token create`).")
    user, token = found
    db.session.commit()  # last_used_at; the view's own work commits (or not) on its own
    g.api_user, g.api_token = user, token
    return user


def _document(wrapper, codes: tuple[int, ...]) -> None:
    """Add the error responses to the operation's documentation."""
    doc = deepcopy(getattr(wrapper, "_apidoc", {}))
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for code in codes:
        responses.setdefault(code, []).append(http.HTTPStatus(code).name)
    wrapper._apidoc = doc


def access(*allowed: str):
    """Require a token whose owner has one of the ``allowed`` roles."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = _authenticate()
            if user.role not in allowed:
                fail(403, f"A {user.role.replace('_', ' ')} may not use this operation.")
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        _document(wrapper, (401, 403))
        return wrapper

    return decorate


def errors(*codes: int):
    """Document further error answers of an operation (404, 409, ...)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        _document(wrapper, codes)
        return wrapper

    return decorate


# --- scope --------------------------------------------------------------------------------


def visible_codes(user: User) -> set[str] | None:
    """None when the user sees every unit, else the codes of the units in their scope."""
    ids = visible_unit_ids(user)
    if ids is None:
        return None
    return set(db.session.scalars(select(Unit.code).where(Unit.id.in_(ids)))) if ids else set()


def plausible_code(code: str) -> bool:
    """A code a unit could have; others are not looked up (PostgreSQL refuses NUL)."""
    return 0 < len(code) <= 64 and code.isprintable()


def unit_in_scope(code: str, field: str | None = None) -> Unit:
    """The unit ``code``: 404 (or 422 for a query ``field``) if there is none, 403 outside
    the user's scope."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code)) \
        if plausible_code(code) else None
    if unit is None:
        if field:
            fail(422, f"There is no unit {code!r}.", {field: [f"There is no unit {code!r}."]})
        fail(404, f"There is no unit {code!r}.")
    visible = visible_unit_ids(current_user())
    if visible is not None and unit.id not in visible:
        fail(403, f"Unit {unit.code} is outside your units.")
    return unit
