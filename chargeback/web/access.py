"""Who may do what: roles on every route, and unit scopes for unit heads.

Roles (issue: the web app): ``admin`` everything; ``central_it`` all units, approvals,
periods, units, rates, rules and imports; ``finance`` reads everything, downloads packs,
imports spend and budgets; ``unit_head`` only their own units and the units below them.
A unit head asking for another unit gets 403, not a hidden link.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit
from chargeback.vocabulary import IMPORT_KINDS

ALL_ROLES = ("admin", "central_it", "finance", "unit_head")
READ_ALL = ("admin", "central_it", "finance")
MANAGE = ("admin", "central_it")

# What each role may import; a unit head only for their own units.
IMPORT_KINDS_BY_ROLE = {
    "admin": None,  # None: every kind
    "central_it": None,
    "finance": ("spend", "budget"),
    "unit_head": ("metrics",),
}


def roles(*allowed: str) -> Callable:
    """Log in first, then 403 unless the user's role is one of ``allowed``."""

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


def subtree_ids(unit_ids: set[int]) -> set[int]:
    """The given units and every unit below them."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    seen, stack = set(), list(unit_ids)
    while stack:
        uid = stack.pop()
        if uid not in seen:
            seen.add(uid)
            stack.extend(children.get(uid, ()))
    return seen


def visible_unit_ids(user) -> set[int] | None:
    """None when the user sees every unit, else the ids of the units in their scope."""
    if user.role in READ_ALL:
        return None
    return subtree_ids({u.id for u in user.units})


def can_see(user, unit: Unit) -> bool:
    visible = visible_unit_ids(user)
    return visible is None or unit.id in visible


def unit_or_403(code: str) -> Unit:
    """The unit named in the URL: 404 if there is none, 403 if it is outside the scope."""
    if len(code) > 64 or "\x00" in code:  # no such code can exist; PostgreSQL refuses NUL
        abort(404)
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        abort(404)
    if not can_see(current_user, unit):
        abort(403)
    return unit


def may_edit_scorecard(user, unit: Unit) -> bool:
    """Unit heads edit their own units' scorecards; central IT and admin edit any."""
    if user.role in MANAGE:
        return True
    return user.role == "unit_head" and can_see(user, unit)


def importable_kinds(user) -> tuple[str, ...]:
    kinds = IMPORT_KINDS_BY_ROLE.get(user.role, ())
    return IMPORT_KINDS if kinds is None else kinds
