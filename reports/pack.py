"""The monthly pack: one XLSX workbook written from a ``reports.model.Pack``.

Sheets, in order: ``Cover``, ``Summary``, ``Why they differ``, ``Trend``, ``Statements``,
``Portfolio``, ``Charges`` (``Charges (2)``, ... when the lines do not fit on one sheet),
``Journal``, then one sheet per rated unit named by its code (made legal:
``reports.cells``). The layout is documented in ``docs/pack.md``.

The workbook is written in openpyxl's write-only mode (rows stream to disk, the charges
are consumed once) into a temporary file next to ``path``, flushed to disk, then renamed
over ``path`` with ``os.replace``: a reader sees the old file or the whole new one, never
half a file. If anything fails, the temporary file is removed and ``path`` is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.pagebreak import Break

from reports import charts
from reports.cells import legal_sheet_names
from reports.model import Pack
from reports.sheets import (
    charges,
    cover,
    differences,
    journal,
    portfolio,
    statements,
    summary,
    trend,
    unit,
)
from reports.sheets._table import Page, set_page
from rules.vocabulary import is_period

STATUSES = ("final", "provisional")


def pack_filename(period: str, revision: int) -> str:
    """``chargeback-YYYY-MM.xlsx`` for revision 1, ``chargeback-YYYY-MM-rN.xlsx`` after."""
    if not is_period(period):
        raise ValueError(f"period must be YYYY-MM, not {period!r}")
    if type(revision) is not int or revision < 1:
        raise ValueError(f"revision must be an integer >= 1, not {revision!r}")
    suffix = "" if revision == 1 else f"-r{revision}"
    return f"chargeback-{period}{suffix}.xlsx"


def write_pack(pack: Pack, path: Path) -> Path:
    """Write ``pack`` to ``path`` atomically (replacing any file there); returns ``path``.

    The folder is created if needed. On any exception nothing appears at ``path`` (an
    earlier file there is left as it was) and no temporary file is left behind.
    """
    if pack.status not in STATUSES:
        raise ValueError(f"pack status must be one of {STATUSES}, not {pack.status!r}")
    return write_atomically(path, lambda workbook: _fill(workbook, pack))


def write_atomically(path: Path, fill: Callable[[Workbook], None]) -> Path:
    """A write-only workbook filled by ``fill``, saved to ``path`` atomically (the pack's
    way, also used for the consumer statements): a hidden temporary file in the target's
    folder (created if needed), flushed to disk, renamed over ``path``. On any exception
    ``path`` is left as it was and no temporary file is left behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _reserve_temp(path)
    workbook = None
    try:
        workbook = Workbook(write_only=True)
        fill(workbook)
        workbook.save(temp)
        _flush(temp)
        os.replace(temp, path)
    except BaseException:
        _discard(workbook)
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path


def _fill(workbook: Workbook, pack: Pack) -> None:
    provisional = pack.status == "provisional"
    # The totals and the Cover's checks are formulas without stored results: Excel and
    # LibreOffice compute them when the file is opened.
    workbook.calculation.fullCalcOnLoad = True
    set_page(workbook, Page(period=pack.period, revision=pack.revision,
                            provisional=provisional))
    front = cover.start(workbook, provisional=provisional)
    guide: list[tuple[str, str]] = [(summary.TITLE, summary.GUIDE)]
    _management_sheets(workbook, pack, provisional=provisional)
    guide += [(differences.TITLE, differences.GUIDE), (trend.TITLE, trend.GUIDE)]

    guide += [(t, statements.GUIDE) for t in statements.write(
        workbook, pack.statements, provisional=provisional)]

    guide += [(t, portfolio.GUIDE) for t in portfolio.write(
        workbook, pack.portfolio, provisional=provisional)]

    titles, lines = charges.write(workbook, pack.charges, provisional=provisional)
    guide.append((titles[0], charges.GUIDE))
    guide += [(t, f"Continuation of {titles[0]}: the next charge lines, same columns.")
              for t in titles[1:]]

    guide += [(t, journal.GUIDE) for t in journal.write(
        workbook, pack.journal, provisional=provisional)]

    taken = [cover.TITLE, summary.TITLE, differences.TITLE, trend.TITLE, statements.TITLE,
             portfolio.TITLE, journal.TITLE, *titles]
    names = legal_sheet_names([card.unit for card in pack.scorecards], reserved=taken,
                              is_reserved=charges.is_charges_title)
    for card, name in zip(pack.scorecards, names, strict=True):
        guide += [(t, unit.guide(card, t)) for t in unit.write(
            workbook, name, card, provisional=provisional)]

    cover.finish(front, pack, charge_lines=lines, guide=guide)


def _management_sheets(workbook: Workbook, pack: Pack, *, provisional: bool) -> None:
    """Summary (with the charts below its table), Why they differ and Trend."""
    front = summary.write(workbook, pack.summary, provisional=provisional)
    differences.write(workbook, pack.differences, provisional=provisional,
                      pairs=pack.judged_by_each_other)
    trend.write(workbook, pack.trend, provisional=provisional)
    placed = []
    units = len(pack.differences)
    if units:
        placed += [charts.spend_against_budget(units), charts.attainment_against_bands(units)]
    top = pack.portfolio[0] if pack.portfolio else None
    months = sum(1 for row in pack.trend if top is not None and row.unit == top.unit)
    if months:
        first = 2 + next(i for i, row in enumerate(pack.trend) if row.unit == top.unit)
        placed.append(charts.holding_trend(first, months, top.name))
    sheet, row = front.worksheet, front.rows + 1
    for n, chart in enumerate(placed):
        if n % charts.PER_PAGE == 0:  # printed, the charts start on a page of their own,
            sheet.row_breaks.append(Break(id=row))  # never cut by a page break
        sheet.add_chart(chart, f"A{row + 1}")
        row += charts.ROWS_TALL
    front.print_through(row)


def _reserve_temp(path: Path) -> Path:
    """A new, empty, hidden file next to ``path`` (same file system, so the rename is
    atomic), created with the usual permissions (the umask's, unlike ``mkstemp``)."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            with open(temp, "xb"):
                return temp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _flush(temp: Path) -> None:
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())


def _discard(workbook: Workbook | None) -> None:
    """Best effort: remove the per-sheet temporary files a failed write-only workbook
    leaves (openpyxl would only remove them when the process exits)."""
    if workbook is None:
        return
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        rows = getattr(sheet, "_rows", None)
        with contextlib.suppress(Exception):
            if rows is not None:
                rows.close()  # ends the sheetData element the rows were going into
            writer.close()
        with contextlib.suppress(Exception):
            writer.cleanup()
