"""The audit trail: who did what, when and why, as one list.

It reads two records the app already keeps, never a copy of them: the audit log (every
change a person or a job made: closes, reopenings with their reason, scorecard
submissions, approvals and sends back with their comment, settings, users, units, and the
rows an import replaced with their before and after values) and the import batches (who
imported which file, stored or refused). In SQL they are one ``UNION ALL`` of the columns
a list needs (``source``, ``id``, ``at``, ``actor``, ``action``, ``entity``, ``subject``,
``reason``), so searching, filtering, sorting and paging are the list module's; the page's
own rows then get their before and after values and their batch figures.

An import batch reads as the action ``import.<kind>``, or ``import.<kind>.refused`` and
``import.<kind>.already_imported``, its subject the file's name.

Filters: ``action`` (the actions on record), ``unit`` (entries whose subject is the unit:
``ALT``, ``ALT v3``, ``ALT/2026-03``, ``ALT/2026-03/seats``) and ``period`` (entries whose
subject names the month: a close, a reopening, a pack, a replaced row of that month, a
file called so).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import String, case, literal, or_, select, union_all
from sqlalchemy.orm import Session

from chargeback.models import AuditEntry, ImportBatch, Period, Unit
from chargeback.services.queries.listing import (
    Filter,
    ListQuery,
    ListSpec,
    Sort,
    choices,
    narrow,
    ordered,
    select_page,
)
from chargeback.services.queries.sql import Page


def _union():
    """Audit entries and import batches as rows of the same columns."""
    entries = select(
        literal("audit", String).label("source"), AuditEntry.id.label("id"),
        AuditEntry.at.label("at"), AuditEntry.actor.label("actor"),
        AuditEntry.action.label("action"), AuditEntry.entity.label("entity"),
        AuditEntry.entity_key.label("subject"), AuditEntry.reason.label("reason"))
    outcome = case((ImportBatch.status == "stored", ""), else_="." + ImportBatch.status)
    batches = select(
        literal("batch", String).label("source"), ImportBatch.id.label("id"),
        ImportBatch.created_at.label("at"), ImportBatch.actor.label("actor"),
        ("import." + ImportBatch.kind + outcome).label("action"),
        literal("batch", String).label("entity"), ImportBatch.filename.label("subject"),
        literal(None, String).label("reason"))
    return union_all(entries, batches).subquery("trail")


TRAIL = _union()


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _about_unit(code: str):
    """The subject is the unit, or starts with its code then a space or a slash."""
    subject, escaped = TRAIL.c.subject, _escaped(code)
    return or_(subject == code, subject.like(escaped + " %", escape="\\"),
               subject.like(escaped + "/%", escape="\\"))


def _about_period(period: str):
    return TRAIL.c.subject.like("%" + _escaped(period) + "%", escape="\\")


def list_spec(actions: list[str], units: list[str], periods: list[str]) -> ListSpec:
    """The audit list; the filters offer the actions on record, the units and the months."""
    return ListSpec(
        sorts={"at": Sort("When", (TRAIL.c.at,)),
               "actor": Sort("Who", (TRAIL.c.actor,)),
               "action": Sort("Action", (TRAIL.c.action,)),
               "subject": Sort("Subject", (TRAIL.c.subject,))},
        default_sort="at", default_dir="desc",
        search=(TRAIL.c.actor, TRAIL.c.action, TRAIL.c.subject, TRAIL.c.reason),
        search_label="Who, action, subject or reason",
        filters={"action": Filter("Action", choices(actions),
                                  lambda v: TRAIL.c.action == v),
                 "unit": Filter("Unit", tuple((c, c) for c in units), _about_unit),
                 "period": Filter("Period", tuple((p, p) for p in periods), _about_period)},
        tiebreak=(TRAIL.c.at.desc(), TRAIL.c.source, TRAIL.c.id.desc()))


def spec(session: Session) -> ListSpec:
    """The audit list with its filters' values read from the database."""
    actions = sorted(session.scalars(select(TRAIL.c.action).distinct()))
    units = sorted(session.scalars(select(Unit.code)))
    periods = sorted(session.scalars(select(Period.period)), reverse=True)
    return list_spec(actions, units, periods)


@dataclass
class Entry:
    """One line of the trail, with what changed (field, before, after) and, for an
    import, its batch's figures."""

    source: str
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    subject: str
    reason: str | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    rows: int | None = None
    errors: int | None = None

    @property
    def is_batch(self) -> bool:
        return self.source == "batch"


def page(session: Session, the_spec: ListSpec, asked: ListQuery) -> Page:
    """One page of the trail as ``Entry`` rows, searched, filtered and sorted as asked."""
    found = select_page(session, the_spec, select(TRAIL), asked, scalars=False)
    return Page(_entries(session, found.items), found.number, found.pages, found.total)


def every(session: Session, the_spec: ListSpec, asked: ListQuery, limit: int) -> list[Entry]:
    """Every entry (at most ``limit``) the search and filters keep, in the asked order:
    what a download holds."""
    query = ordered(the_spec, narrow(the_spec, select(TRAIL), asked), asked).limit(limit)
    return _entries(session, list(session.execute(query)))


def _entries(session: Session, rows) -> list[Entry]:
    entries = [Entry(*row) for row in rows]
    audit_ids = [e.id for e in entries if not e.is_batch]
    batch_ids = [e.id for e in entries if e.is_batch]
    values = {i: (b, a) for i, b, a in session.execute(
        select(AuditEntry.id, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.id.in_(audit_ids)))} if audit_ids else {}
    figures = {i: (r, n) for i, r, n in session.execute(
        select(ImportBatch.id, ImportBatch.rows, ImportBatch.error_count)
        .where(ImportBatch.id.in_(batch_ids)))} if batch_ids else {}
    for entry in entries:
        if entry.is_batch:
            entry.rows, entry.errors = figures.get(entry.id, (None, None))
        else:
            entry.changes = changes(*values.get(entry.id, (None, None)))
    return entries


def changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(field, before, after) of every field whose value differs, as text ("" for none)."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("value", _text(before), _text(after))]
    return [(key, _text(before.get(key)), _text(after.get(key)))
            for key in sorted(set(before) | set(after), key=str)
            if before.get(key) != after.get(key)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
