"""One sheet per rated unit, named by its unit code (made legal: see ``reports.cells``):
one row per criterion of the scorecard version that rated the unit.

``Criterion`` holds the key; ``Actual`` the value of the expression; ``Score`` the
unrounded score shown with one decimal, empty when the criterion was not rated, the
reason being in ``Note``.

The last row, in bold, is the unit's own: ``Criterion`` = ``Unit attainment`` (a key
never has a space, so no criterion is called that), ``Label`` its name, ``Expression``
its service model, ``Score`` its attainment (empty when unrated), ``Note`` its band, and
``Explanation`` how attainment is reached. The printed page header says the same: the
sheet name, then the unit's name, service model, attainment (one decimal) and band.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from reports.model import CriterionRow, UnitScorecard
from reports.sheets._table import Column, Page, Table, page_of

# Narrow enough that a unit's sheet prints on one page across at 60 % or more (the long
# texts wrap instead), a provisional pack's Status column included.
COLUMNS = (
    Column("Criterion", "wrap", 18),
    Column("Label", "wrap", 22),
    Column("Expression", "wrap", 24),
    Column("Actual", "decimal", 12),
    Column("Target", "decimal", 11),
    Column("Floor", "decimal", 11),
    Column("Bands", "wrap", 18),
    Column("Direction", "text", 9),
    Column("Method", "text", 8),
    Column("Weight", "decimal", 8),
    Column("Score", "one_decimal", 8),
    Column("Note", "wrap", 18),
    Column("Explanation", "wrap", 43),
)

LAST = "Unit attainment"
HOW = ("Attainment = sum(Weight x Score) / sum(Weight) over the rated criteria; its band "
       "from the holding company's band limits.")


def guide(card: UnitScorecard, title: str) -> str:
    named = "" if title == card.unit else f" (sheet name made legal from code {card.unit!r})"
    return (
        f"Unit {card.unit}{named}: {card.name}, service model {card.service_model}, band "
        f"{card.band}. One row per criterion of its scorecard version {card.version} "
        f"(effective from {card.effective_from}); Score is empty when a criterion was not "
        "rated, with the reason in Note. Attainment = sum(Weight x Score) / sum(Weight) "
        f"over the rated criteria (see Portfolio). The last row, {LAST}, holds the unit's "
        "name (Label), service model (Expression), attainment (Score) and band (Note)."
    )


def attainment_text(attainment: Decimal | None) -> str:
    """The attainment as people read it: one decimal, rounded half-up; ``not rated``."""
    if attainment is None:
        return "not rated"
    return str(attainment.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def about(card: UnitScorecard) -> str:
    """What the printed page header says of the unit, after the sheet's name."""
    return (f"{card.name}, {card.service_model}, attainment "
            f"{attainment_text(card.attainment)}, band {card.band}")


def last_row(card: UnitScorecard) -> tuple:
    """The sheet's last row: the unit's name, service model, attainment and band."""
    return (LAST, card.name, card.service_model, None, None, None, None, None, None, None,
            card.attainment, card.band, HOW)


def values(row: CriterionRow) -> tuple:
    return (row.key, row.label, row.expr, row.actual, row.target, row.floor, row.bands,
            row.direction, row.method, row.weight, row.score, row.note, row.explanation)


def write(workbook, title: str, card: UnitScorecard, *, provisional: bool) -> list[str]:
    """Write ``card`` on a sheet named ``title``; returns the sheet titles written."""
    page = (page_of(workbook) or Page()).with_about(about(card))
    table = Table(workbook, title, COLUMNS, provisional=provisional, page=page)
    for row in card.criteria:
        table.append(values(row))
    table.finish(last=last_row(card))
    return [title]
