"""The ``Why they differ`` sheet: for each group, each unit under it in its own terms.

One row per unit that has a parent, grouped by that parent in tree order: its service
model, the criterion its scorecard weighs most, its spend, budget and variance, its
attainment and band against its own scorecard with the band limits the month was rated
with, its main service (the one that recovered the most) with what a unit of it cost, and
``Explanation``: why its spend differs from its nearest sibling's, told by each unit's own
service model and criteria, never as a ranking on one yardstick.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import styles as s
from reports.model import UnitInOwnTerms
from reports.sheets._table import Column, Table

TITLE = "Why they differ"

COLUMNS = (
    Column("Group", "text", s.WIDTH_CODE),
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Name", "text", 24),
    Column("Service model", "text", 24),
    Column("Weighs most", "wrap", 24),
    Column("Spend", "money", s.WIDTH_MONEY),
    Column("Budget", "money", s.WIDTH_MONEY),
    Column("Variance", "money", s.WIDTH_MONEY),
    Column("Attainment", "one_decimal", s.WIDTH_SHORT + 1),
    Column("Band", "text", s.WIDTH_SMALL),
    Column("Meets from", "one_decimal", s.WIDTH_SHORT),
    Column("Exceeds from", "one_decimal", s.WIDTH_SHORT + 2),
    Column("Main service", "text", s.WIDTH_CODE),
    Column("Unit of measure", "text", 16),
    Column("Quantity", "quantity", s.WIDTH_NUMBER),
    Column("Cost per unit", "decimal", s.WIDTH_NUMBER),
    Column("Explanation", "wrap", 70),
)
SPEND, BUDGET, ATTAINMENT, MEETS, EXCEEDS = 6, 7, 9, 11, 12  # 1-based, for the charts

GUIDE = (
    "For each group, each unit under it in its own terms: service model, what its "
    "scorecard weighs most, spend, budget and variance, attainment and band against its "
    "own scorecard (with the band limits), its main service and its spend per unit of "
    "that service, and a sentence on why its spend differs from a sibling's, by each "
    "unit's own criteria. Units are never ranked on one yardstick."
)


def values(row: UnitInOwnTerms) -> tuple:
    return (row.group, row.unit, row.name, row.service_model, row.weighs_most, row.spend,
            row.budget, row.variance, row.attainment, row.band, row.meets_from,
            row.exceeds_from, row.main_service, row.main_service_uom,
            row.main_service_quantity, row.cost_per_unit, row.explanation)


def write(workbook, rows: Sequence[UnitInOwnTerms], *, provisional: bool) -> list[str]:
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional)
    for row in rows:
        table.append(values(row))
    table.finish()
    return [TITLE]
