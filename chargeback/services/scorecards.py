"""Storing scorecard versions: validated as the rules say, versioned, approved by central IT.

The version in force for P is the latest approved one with ``effective_from <= P``. A new
version may only take effect after the last closed month, so approving one never changes
which version rated a closed month, nor a rating stored for it.

A unit head's change goes draft -> submitted -> approved, or back to draft with central IT's
comment. A unit has at most one version on its way (a draft or a submitted one): editing
continues that draft, so two half-finished proposals never compete for approval. The file
import (central IT's) stores a version approved straight away with ``save_version``; the web
form goes through ``save_draft``, ``submit``, ``send_back`` and ``approve_submitted``, and
both are validated by ``check``, so a rule holds the same whichever way a scorecard comes in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from chargeback.failpoints import failpoint
from chargeback.importing.text import text_problem
from chargeback.models import CriterionDefinition, Period, ScorecardVersion, Unit
from chargeback.models.audit import record
from chargeback.refusals import Conflict, Refused
from chargeback.services import measures as measure_data
from chargeback.services.periods import closed_problem, first_changeable
from rules.model import Band, Criterion, RuleError, Scorecard
from rules.scoring import (
    MAX_CRITERIA,
    check_scorecard,
    scorecard_to_dict,
)
from rules.vocabulary import is_period


class ScorecardRefused(Refused):
    """A scorecard that breaks a rule (each problem names its criterion and field)."""


class ScorecardStateRefused(Conflict):
    """A step the version's state does not allow (submitting a submitted version, ...)."""


def _refuse(errors: list[RuleError], warnings: list[RuleError] = ()) -> None:
    """Raise the refusal: a conflict when the version's state is the problem."""
    kind = ScorecardStateRefused if any(e.field == "status" for e in errors) else ScorecardRefused
    raise kind(*errors, kind="scorecard", warnings=warnings)


@dataclass
class ScorecardResult:
    """A stored version and the warnings it was stored with (measures not seen yet)."""

    version: ScorecardVersion
    warnings: list[RuleError] = field(default_factory=list)


def check(session: Session, data, source: str = "scorecard", *, lock: bool = True,
          max_criteria: int = MAX_CRITERIA) -> tuple[Scorecard, Unit, list[RuleError]]:
    """Parse and validate a scorecard structure: (scorecard, unit, warnings), or refuse it
    with every error (and the warnings). ``lock=False`` for a page that only shows the
    result (a preview, the stored draft's marks): see ``closed_problem``. ``max_criteria``:
    the app's ``CHARGEBACK_MAX_CRITERIA``, checked before a criterion is read."""
    found: dict[str, Unit | None] = {}

    def known(code: str) -> set[str] | None:
        found["unit"] = session.scalar(select(Unit).where(Unit.code == code))
        return None if found["unit"] is None else measure_data.known_names(session,
                                                                           found["unit"].id)

    scorecard, warnings, errors = check_scorecard(data, source, known, max_criteria=max_criteria)
    if scorecard is None:
        _refuse(errors)
    unit = found.get("unit")
    if unit is None and scorecard.unit:
        errors.append(RuleError(source=source, field="unit",
                                message=f"unknown unit '{scorecard.unit}'"))
    errors += _storage_errors(scorecard)
    if is_period(scorecard.effective_from):
        problem = closed_problem(session, scorecard.effective_from, lock=lock)
        if problem:
            errors.append(RuleError(source=source, field="effective_from", message=problem))
    if errors:
        _refuse(errors, warnings)
    return scorecard, unit, warnings


def save_version(session: Session, data, actor: str, *, status: str = "draft",
                 source: str = "scorecard", max_criteria: int = MAX_CRITERIA
                 ) -> ScorecardResult:
    """Store a new version (a draft, or approved straight away for central IT's imports)."""
    scorecard, unit, warnings = check(session, data, source, max_criteria=max_criteria)
    version = _create(session, scorecard, unit, actor)
    if status == "approved":
        approve(session, version, actor)
    return ScorecardResult(version, warnings)


def _create(session: Session, scorecard: Scorecard, unit: Unit, actor: str) -> ScorecardVersion:
    """A new draft numbered after the unit's last version, recorded in the audit log.

    The unit's row is locked first, so two versions saved at once get two numbers (FOR NO
    KEY UPDATE: rows that only name the unit, such as imported spend, are not held up)."""
    session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update(key_share=True))
    number = (session.scalar(select(func.max(ScorecardVersion.version))
                             .where(ScorecardVersion.unit_id == unit.id)) or 0) + 1
    failpoint("scorecard.numbered")
    version = ScorecardVersion(unit_id=unit.id, version=number, status="draft",
                               effective_from=scorecard.effective_from, created_by=actor,
                               criteria=_definitions(scorecard))
    session.add(version)
    session.flush()
    record(session, actor, "scorecard.create", "scorecard", f"{unit.code} v{number}",
           after=scorecard_to_dict(scorecard))
    return version


def approve(session: Session, version: ScorecardVersion, actor: str,
            effective_from: str | None = None) -> None:
    """Approve a version; an approved one with the same start month is retired."""
    start = effective_from or version.effective_from
    problem = closed_problem(session, start)
    if problem:
        _refuse([RuleError(source=f"version {version.version}", field="effective_from",
                           message=problem)])
    before = {"status": version.status, "effective_from": version.effective_from}
    replaced = session.scalars(select(ScorecardVersion).where(
        ScorecardVersion.unit_id == version.unit_id, ScorecardVersion.status == "approved",
        ScorecardVersion.effective_from == start, ScorecardVersion.id != version.id))
    for old in replaced:
        old.status = "retired"
        record(session, actor, "scorecard.retire", "scorecard", _key(session, old),
               before={"status": "approved"}, after={"status": "retired"},
               reason=f"replaced by v{version.version} from {start}")
    version.effective_from = start
    version.status = "approved"
    version.approved_by = actor
    version.approved_at = dt.datetime.now(dt.UTC)
    record(session, actor, "scorecard.approve", "scorecard", _key(session, version),
           before=before, after={"status": "approved", "effective_from": start})
    session.flush()


def _approved_by(period: str) -> tuple:
    """The versions that may be in force for ``period``: approved, effective by then."""
    return (ScorecardVersion.status == "approved", ScorecardVersion.effective_from <= period)


# Among those, the one in force: the latest month, the highest version within a month.
LATEST_FIRST = (ScorecardVersion.effective_from.desc(), ScorecardVersion.version.desc())


def in_force(session: Session, unit_id: int, period: str) -> ScorecardVersion | None:
    return session.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.unit_id == unit_id, *_approved_by(period))
        .order_by(*LATEST_FIRST).limit(1))


def all_in_force(session: Session, period: str) -> dict[int, ScorecardVersion]:
    """unit id -> its scorecard version in force for ``period``, criteria loaded, for
    every unit in two queries (the close's: one query per unit was a fifth of its
    statements): ``in_force``'s rule as a window over the units."""
    ranked = (select(ScorecardVersion.id, func.row_number().over(
        partition_by=ScorecardVersion.unit_id, order_by=LATEST_FIRST).label("rank"))
        .where(*_approved_by(period)).subquery())
    versions = session.scalars(
        select(ScorecardVersion).join(ranked, ranked.c.id == ScorecardVersion.id)
        .where(ranked.c.rank == 1).options(selectinload(ScorecardVersion.criteria)))
    return {version.unit_id: version for version in versions}


# --- the unit head's way: draft -> submitted -> approved (or back to draft) -----------

PENDING = ("draft", "submitted")
COMMENT_LIMIT = 2000


def pending(session: Session, unit_id: int) -> ScorecardVersion | None:
    """The unit's version on its way to approval (a draft or a submitted one), if any."""
    return session.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.unit_id == unit_id, ScorecardVersion.status.in_(PENDING))
        .order_by(ScorecardVersion.version.desc()).limit(1))


def current(session: Session, unit_id: int) -> ScorecardVersion | None:
    """The approved version that rates the next month to close (else the latest approved).

    What "start from the current version" copies and what the editor shows as in force.
    """
    version = in_force(session, unit_id, first_changeable(session))
    if version is not None:
        return version
    return session.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.unit_id == unit_id, ScorecardVersion.status == "approved")
        .order_by(ScorecardVersion.effective_from.desc(), ScorecardVersion.version.desc())
        .limit(1))


def save_draft(session: Session, data, actor: str,
               source: str = "scorecard form", *, max_criteria: int = MAX_CRITERIA
               ) -> ScorecardResult:
    """Store the form's scorecard as the unit's draft: a new one, or the open one updated.

    Validated by ``check`` exactly like a file; a submitted version is not edited until
    central IT approves it or sends it back.
    """
    scorecard, unit, warnings = check(session, data, source, max_criteria=max_criteria)
    draft = pending(session, unit.id)
    if draft is None:
        return ScorecardResult(_create(session, scorecard, unit, actor), warnings)
    if draft.status != "draft":
        _refuse([_waiting(draft)], warnings)
    before = scorecard_to_dict(to_rules(draft, unit.code))
    draft.criteria.clear()
    session.flush()  # old rows out first: a kept key would otherwise collide on insert
    draft.criteria = _definitions(scorecard)
    draft.effective_from = scorecard.effective_from
    record(session, actor, "scorecard.update", "scorecard", f"{unit.code} v{draft.version}",
           before=before, after=scorecard_to_dict(scorecard))
    session.flush()
    return ScorecardResult(draft, warnings)


def _waiting(version: ScorecardVersion) -> RuleError:
    return RuleError(source=f"version {version.version}", field="status",
                     message="waits for central IT's decision: it cannot be changed until it "
                             "is approved or sent back")


def submit(session: Session, version: ScorecardVersion, actor: str) -> None:
    """Hand a draft to central IT; its start month must still be after the last close."""
    where = f"version {version.version}"
    if version.status != "draft":
        _refuse([RuleError(source=where, field="status",
                           message=f"is {version.status}, only a draft can be submitted")])
    problem = closed_problem(session, version.effective_from)
    if problem:
        _refuse([RuleError(source=where, field="effective_from", message=problem)])
    version.status = "submitted"
    version.submitted_at = dt.datetime.now(dt.UTC)
    record(session, actor, "scorecard.submit", "scorecard", _key(session, version),
           before={"status": "draft"}, after={"status": "submitted",
                                              "effective_from": version.effective_from})
    session.flush()


def withdraw(session: Session, version: ScorecardVersion, actor: str) -> None:
    """The unit's own step back: a submitted version returns to draft before central IT
    decides (a mistake seen after submitting), audited like every step of the way."""
    if version.status != "submitted":
        _refuse([RuleError(source=f"version {version.version}", field="status",
                           message=f"is {version.status}, only a submitted version can be "
                                   "withdrawn")])
    version.status = "draft"
    version.submitted_at = None
    record(session, actor, "scorecard.withdraw", "scorecard", _key(session, version),
           before={"status": "submitted"}, after={"status": "draft"})
    session.flush()


def waiting_count(session: Session) -> int:
    """How many versions wait for central IT (the Approvals menu's badge)."""
    return session.scalar(select(func.count()).select_from(ScorecardVersion)
                          .where(ScorecardVersion.status == "submitted")) or 0


def send_back(session: Session, version: ScorecardVersion, actor: str,
              comment: str | None) -> None:
    """Return a submitted version to its unit as a draft, with central IT's reason."""
    where = f"version {version.version}"
    text = (comment or "").strip()
    if version.status != "submitted":
        _refuse([RuleError(source=where, field="status",
                           message=f"is {version.status}, only a submitted version can be "
                                   "sent back")])
    if not text:
        _refuse([RuleError(source=where, field="comment",
                           message="say what to change: a comment is required")])
    if len(text) > COMMENT_LIMIT:
        _refuse([RuleError(source=where, field="comment",
                           message=f"at most {COMMENT_LIMIT} characters")])
    version.status = "draft"
    version.comment = text
    record(session, actor, "scorecard.send_back", "scorecard", _key(session, version),
           before={"status": "submitted"}, after={"status": "draft"}, reason=text)
    session.flush()


def approval_periods(session: Session, version: ScorecardVersion | None = None) -> list[str]:
    """The months a version may take effect from: open ones after the last close.

    The month after the last close is offered even before its first import creates it,
    and so is the month the unit head asked for, when it is later still.
    """
    start = first_changeable(session)
    months = set(session.scalars(select(Period.period).where(
        Period.status == "open", Period.period >= start)))
    months.add(start)
    if version is not None and is_period(version.effective_from) \
            and version.effective_from >= start:
        months.add(version.effective_from)
    return sorted(months)


def approve_submitted(session: Session, version: ScorecardVersion, actor: str,
                      effective_from: str | None) -> None:
    """Central IT's approval of a submitted version, from a month ``approval_periods`` offers."""
    where = f"version {version.version}"
    if version.status != "submitted":
        _refuse([RuleError(source=where, field="status",
                           message=f"is {version.status}, only a submitted version can be "
                                   "approved")])
    choices = approval_periods(session, version)
    if effective_from not in choices:
        _refuse([RuleError(source=where, field="effective_from",
                           message="choose one of " + ", ".join(choices))])
    approve(session, version, actor, effective_from)


def submitted(session: Session) -> list[tuple[ScorecardVersion, Unit]]:
    """Every version waiting for central IT, oldest submission first."""
    rows = session.execute(
        select(ScorecardVersion, Unit).join(Unit, Unit.id == ScorecardVersion.unit_id)
        .where(ScorecardVersion.status == "submitted")
        .order_by(ScorecardVersion.submitted_at, ScorecardVersion.id))
    return [(version, unit) for version, unit in rows]


def _key(session: Session, version: ScorecardVersion) -> str:
    """The audit key of a version: "ALT v3"."""
    return f"{session.get(Unit, version.unit_id).code} v{version.version}"


def to_rules(version: ScorecardVersion, unit_code: str) -> Scorecard:
    """A stored version as the rules layer's Scorecard."""
    return Scorecard(unit=unit_code, effective_from=version.effective_from, criteria=tuple(
        Criterion(key=c.key, label=c.label, expr=c.expr, direction=c.direction,
                  method=c.method, target=c.target, floor=c.floor, weight=c.weight,
                  bands=tuple(Band(at=_dec(b["at"]), score=_dec(b["score"]))
                              for b in (c.bands or ())))
        for c in version.criteria))


def _dec(text) -> Decimal:
    return Decimal(str(text))


def _definitions(scorecard: Scorecard) -> list[CriterionDefinition]:
    return [_definition(i, c) for i, c in enumerate(scorecard.criteria, start=1)]


def _definition(position: int, c: Criterion) -> CriterionDefinition:
    return CriterionDefinition(
        position=position, key=c.key, label=c.label, expr=c.expr, direction=c.direction,
        method=c.method, target=c.target, floor=c.floor, weight=c.weight,
        bands=[{"at": str(b.at), "score": str(b.score)} for b in c.bands] or None)


def _storage_errors(scorecard: Scorecard) -> list[RuleError]:
    """What the columns can hold: 6 decimals and 18 digits before the point, the key and
    label lengths. Refused here, with the field named, rather than by the database."""
    errors = []
    for position, c in enumerate(scorecard.criteria, start=1):
        where = {"source": f"criterion {c.key}", "key": c.key, "position": position}
        for name in ("target", "floor", "weight"):
            problem = _number_problem(getattr(c, name))
            if problem:
                errors.append(RuleError(**where, field=name, message=problem))
        for band, b in enumerate(c.bands, start=1):
            problem = _number_problem(b.at)
            if problem:
                errors.append(RuleError(**where | {"source": f"criterion {c.key} band {band}"},
                                        band=band, field="at", message=problem))
        for name, limit in TEXT_LIMITS.items():
            text = getattr(c, name) or ""
            problem = f"at most {limit} characters" if len(text) > limit else text_problem(text)
            if problem:
                errors.append(RuleError(**where, field=name, message=problem))
    return errors


TEXT_LIMITS = {"key": 64, "label": 200, "expr": 1000}
_LARGEST = Decimal(10) ** 18


def _number_problem(value: Decimal | None) -> str | None:
    if value is None or not value.is_finite():
        return None  # missing or not a number: the rules say so
    if value.as_tuple().exponent < -6:
        return "at most 6 decimal places"
    if abs(value) >= _LARGEST:
        return "must be less than 10^18"
    return None
