"""The ``Cover`` sheet, first in the workbook: a two-column table ``Item`` / ``Value``.

Rows, in order: Period, Status (final or provisional), Revision, Generated at (UTC when
the timestamp has a time zone; for a final pack, when its close froze the figures, so a pack
written again is the same), Currency, Charge lines (how many), Seal (a final pack: the
month's seal, which ``chargeback verify`` checks), one ``Scorecard <unit>``
row per rated unit (its version and effective-from period), one ``Note <n>`` row per
note, then one ``Sheet <title>`` row per sheet saying what it holds.

The sheet is created first (so it is the first tab) and filled last, once the charges
have been streamed and the number of Charges sheets is known.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports.model import Pack
from reports.sheets._table import Column, Table

TITLE = "Cover"

COLUMNS = (
    Column("Item", "text", 28),
    Column("Value", "any", 90),
)

GUIDE = (
    "This sheet: what the pack is (period, status, revision, when it was written), the "
    "scorecard version that rated each unit, notes, and a guide to every sheet. Every "
    "table has its header in row 1 and can be read by header name."
)
PROVISIONAL_GUIDE = (
    " PROVISIONAL: the period is not closed; the figures may still change and every "
    "table has a Status column saying PROVISIONAL."
)


def start(workbook, *, provisional: bool) -> Table:
    """Create the sheet (first tab) with its header; rows come with ``finish``."""
    return Table(workbook, TITLE, COLUMNS, provisional=provisional)


def finish(table: Table, pack: Pack, *, charge_lines: int,
           guide: Sequence[tuple[str, str]]) -> None:
    """Write the rows; ``guide`` is (sheet title, what it holds) for every other sheet."""
    own = GUIDE + (PROVISIONAL_GUIDE if pack.status == "provisional" else "")
    rows: list[tuple[str, object]] = [
        ("Period", pack.period),
        ("Status", pack.status),
        ("Revision", pack.revision),
        ("Generated at", pack.generated_at),
        ("Currency", pack.currency),
        ("Charge lines", charge_lines),
    ]
    if pack.seal:
        rows.append(("Seal", pack.seal))
    rows += [(f"Scorecard {card.unit}",
              f"version {card.version}, effective from {card.effective_from}")
             for card in pack.scorecards]
    rows += [(f"Note {n}", note) for n, note in enumerate(pack.notes, 1)]
    rows += [(f"Sheet {TITLE}", own)]
    rows += [(f"Sheet {title}", text) for title, text in guide]
    for row in rows:
        table.append(row)
    table.finish()
