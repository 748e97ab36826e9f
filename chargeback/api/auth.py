"""Bearer tokens, the role of each operation, unit scopes, and raising API errors.

``@access(*roles)`` is the API's adapter over ``chargeback.access``: it reads
``Authorization: Bearer <token>`` (401 without a working token), checks the owner's role
(403), and leaves the owner in ``g.api_user``. The roles and scopes are the web app's: the
same user sees the same units and may do the same things with a token as with a password.
"""

from __future__ import annotations

import http
from copy import deepcopy
from functools import wraps
from typing import NoReturn

import flask_smorest
from flask import g, request

from chargeback import access as policy
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services import tokens


def fail(status: int, message: str, errors: dict | None = None, **extra) -> NoReturn:
    """Answer ``status`` in the API's error shape (``extra`` adds top-level keys)."""
    flask_smorest.abort(status, message=message, errors=errors or {}, extra=extra)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def current_user():
    return g.api_user


def _authenticate():
    found = tokens.authenticate(db.session, _bearer())
    if found is None:
        fail(401, "Send a working personal API token: `Authorization: Bearer cb_...` "
                  "(make one on your profile page or with `chargeback token create`).")
    user, token = found
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
                fail(403, f"{policy.role_phrase(user.role)} may not use this operation.")
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


def visible_codes(user=None) -> set[str] | None:
    """None when the user sees every unit, else the codes of the units in their scope."""
    return policy.visible_codes(db.session, user or current_user())


def unit_in_scope(code: str, field: str | None = None):
    """The unit ``code``: 404 (or 422 for a query ``field``) if there is none, 403 outside
    the user's scope."""
    try:
        return policy.unit_for(db.session, current_user(), code)
    except Refused as exc:
        message = " ".join(exc.messages)
        if exc.reason == "not_found" and field:
            fail(422, message, {field: [message]})
        fail(404 if exc.reason == "not_found" else 403, message)
