"""The measures a unit has in a period: observed metrics plus what the ledger says.

``rules.measures.ledger_measures`` names the ledger measures; this module only gathers
the figures from the database.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Budget, MetricObservation, SpendLine, UnitPeriodResult
from rules.measures import ledger_measures, measure_suffix


def observed(session: Session, unit_id: int, period: str) -> dict[str, Decimal]:
    rows = session.execute(select(MetricObservation.measure, MetricObservation.value).where(
        MetricObservation.unit_id == unit_id, MetricObservation.period == period))
    return {measure: value for measure, value in rows}


def spend_by(session: Session, column, period: str) -> dict[int, dict[str, Decimal]]:
    """unit id -> {pool or tower code: external spend} for one period.

    Summed here as Decimals, not by the database: SQLite would add them as doubles.
    """
    rows = session.execute(select(SpendLine.unit_id, column, SpendLine.amount)
                           .where(SpendLine.period == period, column.is_not(None)))
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for unit_id, code, amount in rows:
        result[unit_id][code] = result[unit_id].get(code, Decimal("0.00")) + amount
    return result


def budgets(session: Session, period: str) -> dict[int, Decimal]:
    rows = session.execute(select(Budget.unit_id, Budget.amount).where(Budget.period == period))
    return {unit_id: amount for unit_id, amount in rows}


def known_names(session: Session, unit_id: int) -> set[str]:
    """Every measure name ever seen for a unit (for "did you mean ...?" when saving)."""
    names = set(session.scalars(select(MetricObservation.measure).distinct()
                                .where(MetricObservation.unit_id == unit_id)))
    names |= {"spend", "budget", "charged", "spend_pool_internal"}
    for column, prefix in ((SpendLine.cost_pool, "spend_pool_"), (SpendLine.tower, "spend_tower_")):
        codes = session.scalars(select(column).distinct().where(
            SpendLine.unit_id == unit_id, column.is_not(None)))
        names |= {prefix + measure_suffix(code) for code in codes}
    return names


NO_MONEY = Decimal("0.00")


def for_unit(session: Session, unit_id: int, period: str) -> dict[str, Decimal]:
    """A unit's measures in a month whose results are stored (the close rates with these).

    Observed metrics, then the ledger measures: ``spend`` includes the internal charges the
    unit received (stored by the close, as pool ``internal``), ``charged`` and ``budget``
    are what the close stored, and every pool or tower seen in the month's ledger gives a
    ``spend_pool_*`` / ``spend_tower_*`` measure (0 when this unit has none).
    """
    result = session.scalar(select(UnitPeriodResult).where(
        UnitPeriodResult.unit_id == unit_id, UnitPeriodResult.period == period))
    pools = _spend(session, SpendLine.cost_pool, unit_id, period)
    internal = result.internal_received if result is not None else NO_MONEY
    pools["internal"] = pools.get("internal", NO_MONEY) + internal
    if result is not None:
        budget, charged = result.budget, result.charged
    else:  # the unit did not exist when the month closed
        budget, charged = budgets(session, period).get(unit_id), NO_MONEY
    measures = observed(session, unit_id, period)
    measures.update(ledger_measures(
        pools, _spend(session, SpendLine.tower, unit_id, period), budget, charged,
        known_pools=_codes(session, SpendLine.cost_pool, period) | {"internal"},
        known_towers=_codes(session, SpendLine.tower, period)))
    return measures


def _spend(session: Session, column, unit_id: int, period: str) -> dict[str, Decimal]:
    """{pool or tower: external spend} of one unit, summed as Decimals (not by SQLite)."""
    totals: dict[str, Decimal] = {}
    rows = session.execute(select(column, SpendLine.amount).where(
        SpendLine.unit_id == unit_id, SpendLine.period == period, column.is_not(None)))
    for code, amount in rows:
        totals[code] = totals.get(code, NO_MONEY) + amount
    return totals


def _codes(session: Session, column, period: str) -> set[str]:
    """Every pool or tower code in the month's ledger, whichever unit spent on it."""
    return set(session.scalars(select(column).distinct().where(
        SpendLine.period == period, column.is_not(None))))
