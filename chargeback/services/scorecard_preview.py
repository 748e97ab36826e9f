"""What a proposed scorecard would have scored in the last closed months, beside what was stored.

A unit head moving a target wants to see the consequence before central IT approves it
("in March this would have been 74.0, not 87.0"), and central IT wants the same view before
approving. The proposal is scored from the measures the close used: the observed metrics,
and the ledger measures rebuilt from what the close stored for the unit (spend with the
internal charges received, charged, budget) plus the spend by pool and tower the close
summed (``unit_period_spend``). Nothing is written: a closed month's stored rating never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from chargeback.models import Rating, Unit
from chargeback.services import measures as measure_data
from chargeback.services.queries import periods as months
from chargeback.services.queries import ratings
from rules import model as rm
from rules.scoring import attain

PERIODS_SHOWN = 6
NO_MONEY = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One criterion's result under one scorecard: a score, or the reason it has none."""

    actual: Decimal | None
    score: Decimal | None
    note: str | None
    explanation: str

    @property
    def actual_shown(self) -> str:
        """The value as people write it: no exponent, at most four decimals (half up)."""
        if self.actual is None:
            return "—"
        value = self.actual
        if value.as_tuple().exponent < -4:
            value = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return format(value.normalize(), "f")


@dataclass(frozen=True, kw_only=True)
class CriterionLine:
    """A criterion side by side: None on a side whose scorecard does not have it."""

    key: str
    label: str
    proposed: Outcome | None
    approved: Outcome | None


@dataclass(frozen=True, kw_only=True)
class PeriodPreview:
    """One closed month: the proposal's rating next to the rating the close stored."""

    period: str
    attainment: Decimal | None
    band: str
    approved_version: int | None  # None: the unit was not rated that month
    approved_attainment: Decimal | None
    approved_band: str
    lines: tuple[CriterionLine, ...]

    @property
    def change(self) -> Decimal | None:
        if self.attainment is None or self.approved_attainment is None:
            return None
        return self.attainment - self.approved_attainment


def last_closed(session: Session, limit: int = PERIODS_SHOWN) -> list[str]:
    """The latest closed months, newest first."""
    return months.closed(session)[:limit]


def preview(session: Session, unit: Unit, scorecard: rm.Scorecard,
            limit: int = PERIODS_SHOWN) -> list[PeriodPreview]:
    """The proposal scored in each of the last closed months, newest first."""
    periods = last_closed(session, limit)
    stored = ratings.stored(session, unit.id, periods)
    previews = []
    for period in periods:
        rating = attain(scorecard, measure_data.for_unit(session, unit.id, period),
                        months.band_limits_of(session, period))
        previews.append(_side_by_side(period, rating, stored.get(period)))
    return previews


def _side_by_side(period: str, rating: rm.Rating, stored: Rating | None) -> PeriodPreview:
    """Criteria of the proposal in its order, then those only the approved version had."""
    approved = {r.key: r for r in stored.results} if stored is not None else {}
    lines = [CriterionLine(key=r.key, label=r.label, proposed=_outcome(r),
                           approved=_outcome(approved[r.key]) if r.key in approved else None)
             for r in rating.results]
    proposed_keys = {r.key for r in rating.results}
    lines += [CriterionLine(key=r.key, label=r.label, proposed=None, approved=_outcome(r))
              for r in (stored.results if stored is not None else ())
              if r.key not in proposed_keys]
    return PeriodPreview(
        period=period, attainment=rating.attainment, band=rating.band,
        approved_version=stored.scorecard_version if stored is not None else None,
        approved_attainment=stored.attainment if stored is not None else None,
        approved_band=stored.band if stored is not None else "unrated", lines=tuple(lines))


def _outcome(result) -> Outcome:
    """A rules CriterionResult or a stored CriterionResultRow, as one shape."""
    return Outcome(actual=result.actual, score=result.score, note=result.note,
                   explanation=result.explanation)
