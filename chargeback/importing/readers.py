"""Stream rows out of CSV or XLSX files, one ``(line_number, {column: text})`` at a time.

Line numbers are what a spreadsheet shows (header = line 1). Cells arrive as text, whatever
the file type, so one validation path serves both. XLSX is read with python-calamine: it
returns the cached value of a formula cell and never evaluates one, and runs no macros.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from python_calamine import CalamineWorkbook

from chargeback.refusals import Problem, Refused


class FileFormatError(Refused):
    """The file cannot be read as a table at all (not the fault of a single row)."""

    def __init__(self, line: int, message: str):
        super().__init__(Problem(line=line, message=message))


@dataclass(frozen=True, kw_only=True)
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def open_table(stream: BinaryIO, filename: str) -> Table:
    """Pick the reader by the file's extension (XLSX) or its first bytes (a ZIP)."""
    head = stream.read(4)
    stream.seek(0)
    if filename.lower().endswith((".xlsx", ".xlsm")) or head == b"PK\x03\x04":
        return _xlsx_table(stream)
    return _csv_table(stream)


def _csv_table(stream: BinaryIO) -> Table:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(_without_nul(text))
    try:
        header = next(reader, None)
    except UnicodeDecodeError as exc:
        raise FileFormatError(1, "file is not UTF-8 text") from exc
    except csv.Error as exc:
        raise FileFormatError(1, f"not a CSV file ({exc})") from exc
    if header is None:
        raise FileFormatError(1, "the file is empty: a header row is required")
    return Table(header=[h.strip() for h in header], rows=_csv_rows(reader, text))


def _without_nul(text: io.TextIOWrapper) -> Iterator[str]:
    """The file's lines; a NUL character is no text a person typed (it is a binary file,
    or a broken export) and neither database could store it in a code or an error message."""
    for number, line in enumerate(text, start=1):
        if "\x00" in line:
            raise FileFormatError(number, "the file contains a NUL character (0x00): it is not "
                                  "a text CSV file")
        yield line


def _csv_rows(reader, text: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if row and row[0].strip() or not _blank(row):
                yield line, row
    except UnicodeDecodeError as exc:
        raise FileFormatError(line + 1, "file is not UTF-8 text") from exc
    except csv.Error as exc:
        raise FileFormatError(line + 1, str(exc)) from exc
    finally:
        text.detach()  # the caller's stream stays open (a wrapper closes it when collected)


def _blank(cells: list[str]) -> bool:
    """No cell but spaces (a spreadsheet's empty row); the usual row answers at its first."""
    return not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells)


def _xlsx_table(stream: BinaryIO) -> Table:
    try:
        workbook = CalamineWorkbook.from_filelike(stream)
        sheet = workbook.get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FileFormatError(1, f"not a readable XLSX workbook ({exc})") from exc
    header = next(rows, None)
    if header is None:
        raise FileFormatError(1, "the first sheet is empty: a header row is required")
    return Table(header=[cell_text(c).strip() for c in header], rows=_xlsx_rows(rows))


def _xlsx_rows(rows) -> Iterator[tuple[int, list[str]]]:
    for line, row in enumerate(rows, start=2):
        cells = [cell_text(c) for c in row]
        if not _blank(cells):
            yield line, cells


def cell_text(value) -> str:
    """A cell as the text a person sees; a date cell in a period column becomes ``YYYY-MM``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double: 0.1 -> "0.1".
        text = repr(value)
        return str(int(value)) if value.is_integer() and "e" not in text else _plain(text)
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}" if value.day == 1 else value.isoformat()
    return str(value)


def _plain(text: str) -> str:
    """Scientific notation (1e-05) written out, as a spreadsheet user would type it."""
    return format(Decimal(text), "f") if "e" in text or "E" in text else text
