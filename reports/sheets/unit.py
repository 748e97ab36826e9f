"""One sheet per rated unit, named by its unit code (made legal: see ``reports.cells``):
one row per criterion of the scorecard version that rated the unit.

``Criterion`` holds the key; ``Actual`` the value of the expression; ``Score`` the
unrounded score shown with one decimal, empty when the criterion was not rated, the
reason being in ``Note``.
"""

from __future__ import annotations

from reports import styles as s
from reports.model import CriterionRow, UnitScorecard
from reports.sheets._table import Column, Table

COLUMNS = (
    Column("Criterion", "text", 18),
    Column("Label", "text", s.WIDTH_NAME),
    Column("Expression", "text", s.WIDTH_NAME),
    Column("Actual", "decimal", s.WIDTH_NUMBER),
    Column("Target", "decimal", s.WIDTH_NUMBER),
    Column("Floor", "decimal", s.WIDTH_NUMBER),
    Column("Bands", "text", s.WIDTH_NAME),
    Column("Direction", "text", s.WIDTH_SMALL + 1),
    Column("Method", "text", s.WIDTH_SMALL),
    Column("Weight", "decimal", s.WIDTH_SMALL),
    Column("Score", "one_decimal", s.WIDTH_SMALL),
    Column("Note", "text", s.WIDTH_TEXT),
    Column("Explanation", "text", s.WIDTH_LONG),
)


def guide(card: UnitScorecard, title: str) -> str:
    named = "" if title == card.unit else f" (sheet name made legal from code {card.unit!r})"
    return (
        f"Unit {card.unit}{named}: {card.name}, service model {card.service_model}, band "
        f"{card.band}. One row per criterion of its scorecard version {card.version} "
        f"(effective from {card.effective_from}); Score is empty when a criterion was not "
        "rated, with the reason in Note. Attainment = sum(Weight x Score) / sum(Weight) "
        "over the rated criteria (see Portfolio)."
    )


def values(row: CriterionRow) -> tuple:
    return (row.key, row.label, row.expr, row.actual, row.target, row.floor, row.bands,
            row.direction, row.method, row.weight, row.score, row.note, row.explanation)


def write(workbook, title: str, card: UnitScorecard, *, provisional: bool) -> list[str]:
    """Write ``card`` on a sheet named ``title``; returns the sheet titles written."""
    table = Table(workbook, title, COLUMNS, provisional=provisional)
    for row in card.criteria:
        table.append(values(row))
    table.finish()
    return [title]
