"""A unit's own money over closed months: spend by cost pool against budget, as each close
summed it (``unit_period_spend``), never from the spend lines read again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import UnitPeriodResult, UnitPeriodSpend


@dataclass(frozen=True, kw_only=True)
class SpendMonth:
    """A unit's own money in a closed month; ``pools`` is external spend by cost pool."""

    period: str
    pools: dict[str, Decimal]
    internal: Decimal | None
    spend: Decimal | None
    budget: Decimal | None
    charged: Decimal | None

    @property
    def variance(self) -> Decimal | None:
        """Spend over budget (negative: under budget); None without a budget."""
        if self.spend is None or self.budget is None:
            return None
        return self.spend - self.budget


def by_dimension(session: Session, unit_id: int, periods: Sequence[str],
                 dimension: str = "pool") -> dict[str, dict[str, Decimal]]:
    """Period -> {pool (or tower) code: external spend} of one unit."""
    found: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for period, code, amount in session.execute(
            select(UnitPeriodSpend.period, UnitPeriodSpend.code, UnitPeriodSpend.amount)
            .where(UnitPeriodSpend.unit_id == unit_id, UnitPeriodSpend.dimension == dimension,
                   UnitPeriodSpend.period.in_(list(periods)))):
        found[period][code] = amount
    return found


def history(session: Session, unit_id: int,
            periods: Sequence[str]) -> tuple[list[str], list[SpendMonth]]:
    """The cost pools seen, and each month's spend by pool against the budget."""
    pools = by_dimension(session, unit_id, periods)
    results = {r.period: r for r in session.scalars(
        select(UnitPeriodResult).where(UnitPeriodResult.unit_id == unit_id,
                                       UnitPeriodResult.period.in_(list(periods))))}
    months = []
    for period in periods:
        r = results.get(period)
        months.append(SpendMonth(
            period=period, pools=pools.get(period, {}),
            internal=r.internal_received if r else None, spend=r.spend if r else None,
            budget=r.budget if r else None, charged=r.charged if r else None))
    return sorted({pool for by in pools.values() for pool in by}), months
