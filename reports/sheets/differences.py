"""The ``Why they differ`` sheet: for each group, each unit under it in its own terms.

One row per unit that has a parent, grouped by that parent in tree order: its service
model, the criterion its scorecard weighs most, its spend, budget and variance, its
attainment and band against its own scorecard, what a unit of its main service cost, and
``Explanation``: why its spend differs from its nearest sibling's, told by each unit's own
service model and criteria, never as a ranking on one yardstick. The columns after it
(the main service, its unit of measure and quantity, the band limits the month was rated
with, which the Summary's charts draw) are in the workbook but not on the printed page, so
that a unit's figures and its explanation print side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import styles as s
from reports.model import JudgedByEachOther, UnitInOwnTerms
from reports.sheets._table import Column, Table

TITLE = "Why they differ"

COLUMNS = (
    Column("Group", "text", s.WIDTH_SMALL),
    Column("Unit", "text", s.WIDTH_SMALL),
    Column("Name", "wrap", 18),
    Column("Service model", "wrap", 21),
    Column("Weighs most", "wrap", 18),
    Column("Spend", "money", 13),
    Column("Budget", "money", 13),
    Column("Variance", "money", 12),
    Column("Attainment", "one_decimal", 11),
    Column("Band", "text", s.WIDTH_SMALL),
    Column("Cost per unit", "decimal", 13),
    Column("Explanation", "wrap", 58),
    # Not printed: the main service's detail and the band limits the charts draw.
    Column("Main service", "text", s.WIDTH_CODE),
    Column("Unit of measure", "text", 16),
    Column("Quantity", "quantity", s.WIDTH_NUMBER),
    Column("Meets from", "one_decimal", s.WIDTH_SHORT),
    Column("Exceeds from", "one_decimal", s.WIDTH_SHORT + 2),
)
PRINTED = 12  # Group .. Explanation
SPEND, BUDGET, ATTAINMENT, MEETS, EXCEEDS = 6, 7, 9, 16, 17  # 1-based, for the charts

JUDGED_BY_EACH_OTHER = "Judged by each other's yardstick (what-if)"

GUIDE = (
    "For each group, each unit under it in its own terms: service model, what its "
    "scorecard weighs most, spend, budget and variance, attainment and band against its "
    "own scorecard (with the band limits), its main service and its spend per unit of "
    "that service, and a sentence on why its spend differs from a sibling's, by each "
    "unit's own criteria and by what their services do with customer-introduced "
    "variability (reduce or accommodate), as the month's close froze it. Units are never "
    "ranked on one yardstick. After the units, one "
    "line for each pair of siblings of different service models: each judged by the "
    "other's scorecard of the month, a what-if that is never a rating."
)


def values(row: UnitInOwnTerms) -> tuple:
    return (row.group, row.unit, row.name, row.service_model, row.weighs_most, row.spend,
            row.budget, row.variance, row.attainment, row.band, row.cost_per_unit,
            row.explanation, row.main_service, row.main_service_uom,
            row.main_service_quantity, row.meets_from, row.exceeds_from)


def pair_values(pair: JudgedByEachOther) -> tuple:
    """A pair's line: the group, both units, both models, and the sentence as Explanation;
    no figure of its own, so no column that sums or charts figures is touched."""
    return (pair.group, " / ".join(pair.units), JUDGED_BY_EACH_OTHER,
            " / ".join(m.replace("_", " ") for m in pair.models), None, None, None, None,
            None, None, None, pair.sentence, None, None, None, None, None)


def write(workbook, rows: Sequence[UnitInOwnTerms], *, provisional: bool,
          pairs: Sequence[JudgedByEachOther] = ()) -> list[str]:
    """The units' rows first (the charts read exactly those), then one line per pair of
    siblings of different service models judged by each other's scorecard."""
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional, printed=PRINTED)
    for row in rows:
        table.append(values(row))
    for pair in pairs:
        table.append(pair_values(pair))
    table.finish()
    return [TITLE]
