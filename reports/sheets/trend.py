"""The ``Trend`` sheet: one row per unit and month, for the last 13 closed months up to
this one (fewer when fewer have closed), units in tree order, months oldest first.

Each month's figures are as its own close left them, as they stood when this month
closed: Spend, Budget, Variance (spend - budget, positive is over), Charged, Attainment
and Band, the group rows rolled up like the Portfolio.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import styles as s
from reports.model import TrendRow
from reports.sheets._table import Column, Table

TITLE = "Trend"

COLUMNS = (
    Column("Period", "text", s.WIDTH_SMALL),
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Name", "text", s.WIDTH_NAME),
    Column("Spend", "money", s.WIDTH_MONEY),
    Column("Budget", "money", s.WIDTH_MONEY),
    Column("Variance", "money", s.WIDTH_MONEY),
    Column("Variance %", "one_decimal", s.WIDTH_SHORT),
    Column("Charged", "money", s.WIDTH_MONEY),
    Column("Attainment", "one_decimal", s.WIDTH_SHORT),
    Column("Band", "text", s.WIDTH_SHORT),
)
PERIOD, SPEND, BUDGET, CHARGED = 1, 4, 5, 8  # 1-based, for the charts

GUIDE = (
    "One row per unit and month for the last 13 closed months up to this one, each month "
    "as its close left it: Spend, Budget, Variance (positive is over budget), Charged, "
    "Attainment and Band against the unit's own scorecard of that month."
)


def values(row: TrendRow) -> tuple:
    return (row.period, row.unit, row.name, row.spend, row.budget, row.variance,
            row.variance_pct, row.charged, row.attainment, row.band)


def write(workbook, rows: Sequence[TrendRow], *, provisional: bool) -> list[str]:
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional)
    for row in rows:
        table.append(values(row))
    table.finish()
    return [TITLE]
