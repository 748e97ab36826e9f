"""Who may see and do what: roles, unit scopes, and what each role may import.

One module, outside the delivery layers, that takes the user as an argument: the web app's
``@roles`` and the API's ``@access`` are thin adapters over it, so a person sees the same
units and may do the same things with a password as with a token.

Roles: ``admin`` everything; ``central_it`` every unit, approvals, periods, units, rates,
rules and imports; ``finance`` reads everything, downloads packs, imports spend and budgets;
``unit_head`` only their own units and the units below them.

A service chain is the one place a unit head reads anything of a unit outside their scope:
the chain of their own unit's service names each upstream service (code, name, its unit's
code), what it charged along its link, the share of that which reached the service and
its own cost in the chain and its service level results, which tracing a cost or a
failure to its source needs; never that unit's page, charges, consumers or ratings
(``chain_for``, ``docs/security.md``).
"""

from __future__ import annotations

import getpass

from sqlalchemy.orm import Session

from chargeback.refusals import Forbidden, NotFound
from chargeback.services.queries import tree
from chargeback.vocabulary import IMPORT_KINDS

ALL_ROLES = ("admin", "central_it", "finance", "unit_head")
READ_ALL = ("admin", "central_it", "finance")
MANAGE = ("admin", "central_it")
ADMIN = ("admin",)
PACK_ROLES = READ_ALL  # not unit heads: a pack holds every unit's figures
STATEMENT_ROLES = ALL_ROLES  # a unit head: the statements of their units' own consumers

# What each role may import (None: every kind); a unit head only for their own units.
IMPORT_KINDS_BY_ROLE: dict[str, tuple[str, ...] | None] = {
    "admin": None,
    "central_it": None,
    "finance": ("spend", "budget"),
    "unit_head": ("metrics", "sla_results", "dependencies"),
}


def command_line_actor() -> str:
    """Who ran a command: the operating-system account, as the audit log records it."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli:unknown"


def sees_every_unit(user) -> bool:
    return user.role in READ_ALL


def visible_codes(session: Session, user) -> set[str] | None:
    """None when the user sees every unit, else the codes of their units and those below."""
    if sees_every_unit(user):
        return None
    return tree.subtree_codes(session, {u.code for u in user.units})


def visible_ids(session: Session, user) -> set[int] | None:
    codes = visible_codes(session, user)
    return None if codes is None else tree.ids_of(session, codes)


def can_see(session: Session, user, unit) -> bool:
    codes = visible_codes(session, user)
    return codes is None or unit.code in codes


def unit_for(session: Session, user, code: str):
    """The unit ``code``: NotFound if there is none, Forbidden outside the user's scope."""
    unit = tree.unit_by_code(session, code)
    if unit is None:
        raise NotFound(f"There is no unit {code!r}.", kind="unit")
    if not can_see(session, user, unit):
        raise Forbidden(f"Unit {unit.code} is outside your units.", kind="unit")
    return unit


ROLE_PHRASES = {"admin": "An administrator", "central_it": "A central IT user",
                "finance": "A finance user", "unit_head": "A unit head"}


def role_phrase(role: str) -> str:
    """How a refusal names a role at the start of a sentence ("A finance user does not
    state stances."): the role's code is not a noun ("A finance", "A admin")."""
    return ROLE_PHRASES.get(role, f"A {role.replace('_', ' ')} user")


def may_edit_scorecard(session: Session, user, unit) -> bool:
    """Unit heads edit their own units' scorecards; central IT and admin edit any."""
    if user.role in MANAGE:
        return True
    return user.role == "unit_head" and can_see(session, user, unit)


def may_state_variability(session: Session, user, unit) -> bool:
    """Who says what a unit's services do with customer-introduced variability: the unit's
    head (their units and those below), as for its scorecard; central IT and admin."""
    return may_edit_scorecard(session, user, unit)


def chain_for(session: Session, user, period: str, code: str):
    """The chain of service ``code`` in the closed month ``period``, if the user may read
    it: NotFound (no such month or service in it), Forbidden when the service's unit (as
    the month's close froze it) is outside the user's units. (``queries.chains`` is
    imported here, as ``statement_for`` imports its service.)"""
    from chargeback.services.queries import chains

    found = chains.chain_of(session, period, code)
    if found is None:
        raise NotFound(f"There is no service {code!r} in {period}.", kind="service")
    codes = visible_codes(session, user)
    if codes is not None and found.service.unit not in codes:
        raise Forbidden(f"Service {found.service.code} is a service of {found.service.unit}, "
                        "outside your units.", kind="service")
    return found


def importable_kinds(user) -> tuple[str, ...]:
    kinds = IMPORT_KINDS_BY_ROLE.get(user.role, ())
    return IMPORT_KINDS if kinds is None else kinds


def import_scope(session: Session, user) -> set[str] | None:
    """The unit codes a row of this user's file may name (None: any): the units the user
    sees, so a unit head's units and below."""
    return visible_codes(session, user)


def may_see_batch(user, batch) -> bool:
    """Finance, central IT and admin see every batch; a unit head only their own."""
    return sees_every_unit(user) or batch.actor == user.email


def batches_of(user) -> str | None:
    """Whose batches a user's list shows: None for everyone's, else the user's own."""
    return None if sees_every_unit(user) else user.email


def statement_scope(session: Session, user) -> set[str] | None:
    """The units whose own consumers' statements the user reads (None: every consumer's).

    Finance, central IT and admin read every consumer's statement; a unit head those of
    the consumers that are (as the month's close froze them) one of their units or a
    unit below them, never a business cost center's nor another unit's."""
    return visible_codes(session, user)


def statement_for(session: Session, user, period: str, code: str):
    """The consumer ``code`` of the closed month ``period``, if the user may read its
    statement: NotFound (no such month or consumer), a refusal for a month that is not
    closed, Forbidden outside the user's scope. (``services.statements`` is imported here:
    it brings the statement writer and openpyxl, which checking a role does not need.)"""
    from chargeback.services import statements

    statements.closed_period(session, period)
    consumer = statements.consumer_of(session, period, code)
    scope = statement_scope(session, user)
    if scope is not None and consumer.unit not in scope:
        raise Forbidden(f"The statement of {code} is not one of your units': a unit head "
                        "reads the statements of the consumers that are their units.",
                        kind="consumer")
    return consumer
