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


def table(ws) -> list[dict[str, object]]:
    """Data rows as {header: cell}."""
    names = headers(ws)
    return [dict(zip(names, row, strict=True)) for row in ws.iter_rows(min_row=2)]


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
