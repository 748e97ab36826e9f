"""The measures a unit has in a period: observed metrics plus what the ledger says.

``rules.measures.ledger_measures`` names the ledger measures; this module only gathers
the figures from the database.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Budget, MetricObservation, SpendLine
from rules.measures import measure_suffix


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
