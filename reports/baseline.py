"""The benchmark's baseline: a pack's cells written again with bare openpyxl write-only mode.

``read_cells`` reads every sheet of a written pack back (values and number formats);
``write_cells`` writes the same cells with the least openpyxl can do: plain ``ws.append``,
a number format where the pack has one (on one reused cell per column and format, as the
pack does), no text escaping, no fonts, fills, widths, print setup or filters. The close
benchmark times it against the pack, to measure what the pack's own work costs. Not for
real packs: text starting with ``=`` would become a formula here.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

GENERAL = "General"

Cell = object  # a value, or (value, number format) where the format is not General
Sheets = dict[str, list[list[Cell]]]


def read_cells(path: Path) -> Sheets:
    """Every sheet's rows, in order; a cell is its value, or (value, format)."""
    workbook = load_workbook(path, read_only=True)
    try:
        return {ws.title: [[_cell(cell) for cell in row] for row in ws.iter_rows()]
                for ws in workbook.worksheets}
    finally:
        workbook.close()


def _cell(cell) -> Cell:
    value = getattr(cell, "value", None)
    fmt = getattr(cell, "number_format", GENERAL)
    return value if value is None or fmt == GENERAL else (value, fmt)


def write_cells(sheets: Sheets, path: Path) -> Path:
    """The cells of ``sheets`` in a new workbook at ``path``, bare; returns ``path``."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        formatted: dict[tuple[int, str], WriteOnlyCell] = {}
        for row in rows:
            ws.append([_bare(ws, formatted, index, cell) for index, cell in enumerate(row)])
    workbook.save(path)
    return Path(path)


def _bare(ws, formatted: dict, index: int, cell: Cell):
    if type(cell) is not tuple:
        return cell
    value, fmt = cell
    template = formatted.get((index, fmt))
    if template is None:
        template = formatted[(index, fmt)] = WriteOnlyCell(ws)
        template.number_format = fmt
    template.value = value
    return template
