"""The web app's adapter over ``chargeback.access``: every route says who may use it.

``@roles(...)`` signs the visitor in first and answers 403 for another role; the
authorization test walks the URL map, so a route without a rule fails it. A refusal a view
lets through (``chargeback.refusals``) is answered by ``refusal_page``: 404 for what does
not exist, 403 outside the user's scope, 409 for what the state of things does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, render_template, request
from flask_login import current_user, login_required

from chargeback import access
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services.queries.sql import page_bounds

STATUS = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 409}


def roles(*allowed: str) -> Callable:
    """Sign in first, then 403 unless the user's role is one of ``allowed``."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorate


def unit_or_403(code: str):
    """The unit named in the URL: 404 if there is none, 403 if it is outside the scope."""
    return access.unit_for(db.session, current_user, code)


def visible_codes() -> set[str] | None:
    """None when the user sees every unit, else the codes of the units in their scope."""
    return access.visible_codes(db.session, current_user)


def page_number() -> int:
    """``?page=N``; anything that is not a number is page 1 (the query takes the nearest)."""
    return request.args.get("page", 1, type=int)


def page_and_pages(total: int, per_page: int) -> tuple[int, int]:
    """(the page ``?page=`` asks for, kept within 1..pages, and how many pages) of a list
    of ``total`` items counted or held already."""
    return page_bounds(total, page_number(), per_page)


def refusal_page(error: Refused):
    """A refusal no view turned into a form: its messages on the error page."""
    status = STATUS.get(error.reason, 409)
    titles = {404: "Not found", 403: "Not allowed", 409: "Not possible now"}
    return render_template("error.html", status=status, title=titles[status],
                           text=" ".join(error.messages)), status
