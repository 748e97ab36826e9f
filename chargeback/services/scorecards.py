"""Storing scorecard versions: validated as the rules say, versioned, approved by central IT.

The version in force for P is the latest approved one with ``effective_from <= P``. A new
version may only take effect after the last closed month, so approving one never changes
which version rated a closed month, nor a rating stored for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chargeback.models import CriterionDefinition, ScorecardVersion, Unit
from chargeback.services import measures as measure_data
from chargeback.services.audit import record
from chargeback.services.periods import closed_problem
from rules.model import Band, Criterion, RuleError, Scorecard
from rules.scoring import scorecard_from_dict, scorecard_to_dict, validate_scorecard


@dataclass
class ScorecardResult:
    version: ScorecardVersion | None
    warnings: list[RuleError] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(session: Session, data, source: str = "scorecard") -> tuple[
        Scorecard | None, Unit | None, list[RuleError], list[RuleError]]:
    """Parse and validate a scorecard structure: (scorecard, unit, warnings, errors)."""
    scorecard, errors = scorecard_from_dict(data, source)
    if scorecard is None:
        return None, None, [], errors
    unit = session.scalar(select(Unit).where(Unit.code == scorecard.unit))
    if unit is None:
        return scorecard, None, [], errors + [
            RuleError(source=source, field="unit", message=f"unknown unit '{scorecard.unit}'")]
    warnings, problems = validate_scorecard(scorecard, measure_data.known_names(session, unit.id))
    errors += problems + _precision_errors(scorecard)
    problem = closed_problem(session, scorecard.effective_from)
    if problem:
        errors.append(RuleError(source=source, field="effective_from", message=problem))
    return scorecard, unit, warnings, errors


def save_version(session: Session, data, actor: str, *, status: str = "draft",
                 source: str = "scorecard") -> ScorecardResult:
    """Store a new version (a draft, or approved straight away for central IT's imports)."""
    scorecard, unit, warnings, errors = check(session, data, source)
    if errors:
        return ScorecardResult(None, warnings, errors)
    number = (session.scalar(select(func.max(ScorecardVersion.version))
                             .where(ScorecardVersion.unit_id == unit.id)) or 0) + 1
    version = ScorecardVersion(unit_id=unit.id, version=number, status="draft",
                               effective_from=scorecard.effective_from, created_by=actor,
                               criteria=[_definition(i, c) for i, c in
                                         enumerate(scorecard.criteria, start=1)])
    session.add(version)
    session.flush()
    record(session, actor, "scorecard.create", "scorecard", f"{unit.code} v{number}",
           after=scorecard_to_dict(scorecard))
    if status == "approved":
        approve(session, version, actor)
    return ScorecardResult(version, warnings, [])


def approve(session: Session, version: ScorecardVersion, actor: str,
            effective_from: str | None = None) -> list[RuleError]:
    """Approve a version; an approved one with the same start month is retired."""
    start = effective_from or version.effective_from
    problem = closed_problem(session, start)
    if problem:
        return [RuleError(source=f"version {version.version}", field="effective_from",
                          message=problem)]
    replaced = session.scalars(select(ScorecardVersion).where(
        ScorecardVersion.unit_id == version.unit_id, ScorecardVersion.status == "approved",
        ScorecardVersion.effective_from == start, ScorecardVersion.id != version.id))
    for old in replaced:
        old.status = "retired"
    version.effective_from = start
    version.status = "approved"
    version.approved_by = actor
    version.approved_at = dt.datetime.now(dt.UTC)
    unit_code = session.get(Unit, version.unit_id).code
    record(session, actor, "scorecard.approve", "scorecard", f"{unit_code} v{version.version}",
           after={"effective_from": start})
    session.flush()
    return []


def in_force(session: Session, unit_id: int, period: str) -> ScorecardVersion | None:
    return session.scalar(
        select(ScorecardVersion)
        .where(ScorecardVersion.unit_id == unit_id, ScorecardVersion.status == "approved",
               ScorecardVersion.effective_from <= period)
        .order_by(ScorecardVersion.effective_from.desc(), ScorecardVersion.version.desc())
        .limit(1))


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


def _definition(position: int, c: Criterion) -> CriterionDefinition:
    return CriterionDefinition(
        position=position, key=c.key, label=c.label, expr=c.expr, direction=c.direction,
        method=c.method, target=c.target, floor=c.floor, weight=c.weight,
        bands=[{"at": str(b.at), "score": str(b.score)} for b in c.bands] or None)


def _precision_errors(scorecard: Scorecard) -> list[RuleError]:
    """Targets, floors, band limits and weights are stored with 6 decimals: no more."""
    errors = []
    for c in scorecard.criteria:
        values = {"target": c.target, "floor": c.floor, "weight": c.weight}
        values |= {f"bands[{i}].at": b.at for i, b in enumerate(c.bands)}
        for name, value in values.items():
            exponent = value.as_tuple().exponent if value is not None else 0
            if isinstance(exponent, int) and exponent < -6:
                errors.append(RuleError(source=f"criterion {c.key}", field=name,
                                        message="at most 6 decimal places"))
    return errors
