"""The ``Summary`` sheet, right after the Cover: the page a CFO reads first.

One table: ``Section`` (``Headline``, ``What changed``, ``Revision``), ``Unit``, ``Name``,
``Figure`` (what the row measures), ``Value``, ``Before`` (the prior month's figure on a
headline or a movement, the previous revision's on a revised figure), ``Change`` (Value -
Before) and ``Detail``. Value, Before and Change take the number format of their row
(money, one-decimal percentage, count), so the column can be read as numbers. The charts
(``reports.charts``) stand below the table, inside the printed page.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import styles as s
from reports.model import SummaryRow
from reports.sheets._table import Column, Figure, Table

TITLE = "Summary"

COLUMNS = (
    Column("Section", "text", s.WIDTH_SHORT + 2),
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Name", "text", 24),
    Column("Figure", "text", 18),
    Column("Value", "figure", s.WIDTH_MONEY),
    Column("Before", "figure", s.WIDTH_MONEY),
    Column("Change", "figure", s.WIDTH_MONEY),
    Column("Detail", "wrap", s.WIDTH_LONG),
)

GUIDE = (
    "The month at a glance. Headline: for the holding company and each group, Spend, "
    "Budget and Variance (spend - budget, internal charges eliminated from both; positive "
    "is over budget) beside the prior month's (Before), the fiscal year to date, billed "
    "and showback recovery, and its units by band, each against its own scorecard. What "
    "changed: the largest movements in spend and attainment since the prior month, band "
    "changes, scorecard versions newly in force, credits and corrections. Revision: why "
    "the month was reopened and every figure that differs from the previous revision. "
    "The charts below the table: spend against budget and attainment against the band "
    "limits by unit (from Why they differ), and the holding company's trend (from Trend)."
)


def values(row: SummaryRow) -> tuple:
    def figure(value):
        return None if value is None else Figure(value, row.kind)

    return (row.section, row.unit, row.name, row.figure, figure(row.value),
            figure(row.before), figure(row.change), row.detail)


def write(workbook, rows: Sequence[SummaryRow], *, provisional: bool) -> Table:
    """Write the table; returns it so the charts can be placed beside it."""
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional)
    for row in rows:
        table.append(values(row))
    table.finish()
    return table
