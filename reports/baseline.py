"""The benchmark's baseline: charge cells written with bare openpyxl write-only mode.

No styles, no number formats, no text escaping, plain ``ws.append``: the least openpyxl can
do with the same cells, to measure what the pack's formatting costs. Not for real packs
(text starting with ``=`` would become a formula here). Feed it
``reports.sheets.charges.values(row)`` tuples to write the same cells as the pack.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook

from reports.sheets import charges


def write_baseline(rows: Iterable[tuple], path: Path) -> Path:
    """Header plus ``rows`` on ``Charges``, continuing on ``Charges (2)``, ... past the
    same per-sheet limit as the pack; returns ``path``."""
    per_sheet = charges.ROW_LIMIT - 1
    workbook = Workbook(write_only=True)
    sheets = 0
    on_sheet = per_sheet
    sheet = None
    for row in rows:
        if on_sheet == per_sheet:
            sheets += 1
            sheet = workbook.create_sheet(charges.title(sheets))
            sheet.append(charges.HEADERS)
            on_sheet = 0
        sheet.append(row)  # type: ignore[union-attr]
        on_sheet += 1
    if sheet is None:
        workbook.create_sheet(charges.TITLE).append(charges.HEADERS)
    workbook.save(path)
    return Path(path)
