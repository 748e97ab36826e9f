"""A unit head states what each of the unit's services does with customer-introduced
variability (``rules.variability``): reduce or accommodate each kind, with a short note on
how; or leaves a kind to the template's proposal.

A statement is checked whole before anything is stored: a bad stance, an unknown kind or
service, or a note too long is refused with every problem named by its field, and nothing
changes. Each change is audited with what it replaced. Statements are reference data: they
take the reference lock, so a month being closed snapshots one consistent set of them, and
they never change a closed month (its close froze the stances that held).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Service, ServiceVariability, Unit
from chargeback.models.audit import record
from chargeback.models.base import utcnow
from chargeback.models.periods import lock_reference
from chargeback.refusals import Problem, Refused
from rules import variability as rv

KIND = "variability"


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One stance to state: ``stance`` None leaves the kind to the template's proposal.
    ``field`` is how the form or request names this statement, for its errors."""

    service: str
    kind: str
    stance: str | None
    note: str | None = None
    field: str = ""


def state(session: Session, unit: Unit, statements: list[Statement], actor: str) -> int:
    """Store the statements for ``unit``'s services; how many changed. Refused (nothing
    stored) when any of them is wrong."""
    lock_reference(session)  # not while a close snapshots the stances
    # The unit's service rows locked: two statements for the same unit take turns, so the
    # second sees the first's rows instead of inserting the same (service, kind) again.
    services = {s.code: s for s in session.scalars(
        select(Service).where(Service.unit_id == unit.id).order_by(Service.id)
        .with_for_update())}
    problems = _problems(unit, services, statements)
    if problems:
        raise Refused(*problems, kind=KIND)
    current = {(row.service_id, row.kind): row for row in session.scalars(
        select(ServiceVariability).where(ServiceVariability.service_id.in_(
            [s.id for s in services.values()])))}
    changed = 0
    for item in statements:
        service = services[item.service]
        changed += _apply(session, service, current.get((service.id, item.kind)), item, actor)
    session.flush()
    return changed


def _problems(unit: Unit, services: dict[str, Service],
              statements: list[Statement]) -> list[Problem]:
    found, seen = [], set()
    for item in statements:
        if item.service not in services:
            found.append(Problem(message=f"{unit.code} has no service {item.service[:64]!r}",
                                 field=f"{item.field}service", kind=KIND))
        if (item.service, item.kind) in seen:
            found.append(Problem(message=f"{item.kind} of {item.service} is stated twice",
                                 field=f"{item.field}kind", kind=KIND))
        seen.add((item.service, item.kind))
        stance = rv.REDUCE if item.stance is None else item.stance  # None: withdraw
        if item.stance is None and isinstance(item.note, str) and item.note.strip():
            found.append(Problem(message="a note says how a stance is kept: choose reduce "
                                         "or accommodate, or clear the note",
                                 field=f"{item.field}stance", kind=KIND))
        found += [Problem(message=message, field=f"{item.field}{field}", kind=KIND,
                          source=f"{item.service[:64]} {str(item.kind)[:40]}")
                  for field, message in rv.problems(item.kind, stance, item.note)]
    return found


def _apply(session: Session, service: Service, row: ServiceVariability | None,
           item: Statement, actor: str) -> int:
    """1 when the statement changes what is stored (and is audited), else 0."""
    note = (item.note or "").strip() or None
    before = None if row is None else {"stance": row.stance, "note": row.note}
    after = None if item.stance is None else {"stance": item.stance, "note": note}
    if before == after:
        return 0
    if after is None:
        session.delete(row)
    elif row is None:
        session.add(ServiceVariability(service_id=service.id, kind=item.kind,
                                       stance=item.stance, note=note, stated_by=actor))
    else:
        row.stance, row.note, row.stated_by = item.stance, note, actor
        row.stated_at = utcnow()
    record(session, actor, "variability.state", "service", f"{service.code}/{item.kind}",
           before=before, after=after)
    return 1
