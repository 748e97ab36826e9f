"""Reading a written pack back the way finance does: by header name."""

from __future__ import annotations

import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook


def load(path: Path):
    return load_workbook(path)  # not read-only: styles and freeze panes are needed


def headers(ws) -> list[str]:
    return [cell.value for cell in next(ws.iter_rows(min_row=1, max_row=1))]


def _rows(ws) -> list:
    return list(ws.iter_rows(min_row=2))


def _is_closing(row) -> bool:
    """The row that closes a table (a totals row, a unit's attainment) is bold; data
    rows never are."""
    return bool(row) and bool(row[0].font and row[0].font.b)


def table(ws) -> list[dict[str, object]]:
    """Data rows as {header: cell}: the closing row (totals, unit attainment) left out."""
    names = headers(ws)
    rows = _rows(ws)
    if rows and _is_closing(rows[-1]):
        rows = rows[:-1]
    return [dict(zip(names, row, strict=True)) for row in rows]


def closing(ws) -> dict[str, object] | None:
    """The closing row as {header: cell}, or None when the table has none."""
    rows = _rows(ws)
    if not rows or not _is_closing(rows[-1]):
        return None
    return dict(zip(headers(ws), rows[-1], strict=True))


def values(ws) -> list[dict[str, object]]:
    return [{k: c.value for k, c in row.items()} for row in table(ws)]


def shown(value, places: str = "0.1") -> Decimal:
    """What a reader rounding the cell half-up gets (the cell holds a double)."""
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def sheet_xml(path: Path) -> dict[str, str]:
    """Sheet title -> its worksheet XML."""
    with zipfile.ZipFile(path) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="([^"]+)"', rels))
        targets |= {i: t for t, i in re.findall(r'Target="([^"]+)"[^>]*?Id="(rId\d+)"', rels)}
        out = {}
        for name, rid in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="(rId\d+)"', book):
            target = targets[rid].lstrip("/")
            if not target.startswith("xl/"):
                target = "xl/" + target
            out[name] = archive.read(target).decode()
        return out
