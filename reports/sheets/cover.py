"""The ``Cover`` sheet, first in the workbook: a two-column table ``Item`` / ``Value``.

Rows, in order: Period, Status (final or provisional), Revision, Generated at (UTC when
the timestamp has a time zone; for a final pack, when its close froze the figures, so a pack
written again is the same), Currency, Charge lines (how many), Seal (a final pack: the
month's seal, which ``chargeback verify`` checks), the figures and the live checks (below),
one ``Scorecard <unit>`` row per rated unit (its version and effective-from period), one
``Note <n>`` row per note, one ``Term <word>`` row per word of the glossary
(``reports.glossary``, the same words the web app's help pages explain), then one
``Sheet <title>`` row per sheet saying what it holds.

Figures and checks are formulas over the data rows of the other sheets (their totals rows
left out; ``SUM`` and ``SUMIF``, so a filter set on a sheet changes nothing):

- ``Charges total``: Amount on every Charges sheet;
- ``Showback total``: Amount of the charge lines whose Billing mode is ``showback``;
- ``Posted to consumers``: Debit - Credit of the Journal lines with a Consumer;
- ``Journal debits``, ``Journal credits``: the Journal's Debit and Credit;
- ``Check: debits - credits``: Journal debits - Journal credits, rounded to the cent;
- ``Check: charges - posted - showback``: Charges total - Posted to consumers -
  Showback total, rounded to the cent.

Both checks recalculate to 0 in a consistent pack: every journal balances, and every charge
line is either posted (netted per unit and consumer) or showback.

The sheet is created first (so it is the first tab) and filled last, once the charges
have been streamed and the number of Charges sheets is known.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports import glossary, styles
from reports.cells import Formula
from reports.model import Pack
from reports.sheets import charges, journal
from reports.sheets._table import Column, Table

TITLE = "Cover"

COLUMNS = (
    Column("Item", "text", 36),
    Column("Value", "any", 90),
)

GUIDE = (
    "This sheet: what the pack is (period, status, revision, when it was written), the "
    "figures and live checks, the scorecard version that rated each unit, notes, and a "
    "guide to every sheet. Every table has its header in row 1 and can be read by header "
    "name. The figures and checks are formulas over the other sheets' data rows: Charges "
    "total (every Charges sheet's Amount), Showback total (the lines whose Billing mode is "
    "showback), Posted to consumers (Debit - Credit of the Journal lines with a Consumer), "
    "Journal debits and credits; the two checks, debits - credits and charges - posted - "
    "showback, are 0 when the pack is consistent."
)
SHOWBACK = "showback"
CHECKS = ("Check: debits - credits", "Check: charges - posted - showback")
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
    rows += _figures(table.tables(), first_row=2 + len(rows))
    rows += [(f"Scorecard {card.unit}",
              f"version {card.version}, effective from {card.effective_from}")
             for card in pack.scorecards]
    rows += [(f"Note {n}", note) for n, note in enumerate(pack.notes, 1)]
    rows += glossary.cover_rows()
    rows += [(f"Sheet {TITLE}", own)]
    rows += [(f"Sheet {title}", text) for title, text in guide]
    for row in rows:
        table.append(row)
    table.finish()


def _figures(tables: Sequence[Table], *, first_row: int) -> list[tuple[str, object]]:
    """The figure and check rows, the first landing on row ``first_row`` of the Cover."""
    sheets = [t for t in tables if charges.is_charges_title(t.title.casefold())]
    ledger = [t for t in tables if t.title == journal.TITLE]

    def ranges(found: Sequence[Table], *headers: str) -> list[tuple[str, ...]]:
        """Each table's data rows under ``headers``; a table without rows adds nothing."""
        out = []
        for table in found:
            refs = tuple(table.reference(header) for header in headers)
            if None not in refs:
                out.append(refs)
        return out

    def added(terms: list[str]) -> Formula:
        return Formula("=" + ("+".join(terms) or "0"), styles.MONEY)

    amount = ranges(sheets, "Amount", "Billing mode")
    posted = ranges(ledger, "Consumer", "Debit", "Credit")
    rows: list[tuple[str, object]] = [
        ("Charges total", added([f"SUM({a})" for a, _ in amount])),
        ("Showback total", added([f'SUMIF({m},"{SHOWBACK}",{a})' for a, m in amount])),
        ("Posted to consumers", added([f'SUMIF({c},"<>",{d})-SUMIF({c},"<>",{k})'
                                       for c, d, k in posted])),
        ("Journal debits", added([f"SUM({d})" for _, d, _ in posted])),
        ("Journal credits", added([f"SUM({k})" for _, _, k in posted])),
    ]
    at = {item: f"B{first_row + n}" for n, (item, _) in enumerate(rows)}
    rows += [
        (CHECKS[0], Formula(f"=ROUND({at['Journal debits']}-{at['Journal credits']},2)",
                            styles.MONEY)),
        (CHECKS[1], Formula(f"=ROUND({at['Charges total']}-{at['Posted to consumers']}"
                            f"-{at['Showback total']},2)", styles.MONEY)),
    ]
    return rows
