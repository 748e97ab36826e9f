"""Stream rows out of CSV or XLSX files, one ``(line_number, {column: text})`` at a time.

Line numbers are what a spreadsheet shows (header = line 1). Cells arrive as text, whatever
the file type, so one validation path serves both. XLSX is read with python-calamine: it
returns the cached value of a formula cell and never evaluates one, and runs no macros.

Both readers are bounded (``ImportLimits``, docs/security.md "Input limits"):

- **CSV**: a line is at most ``limits.line_chars`` bytes (checked on the bytes as they
  stream to the decoder, a block at a time), a cell at most ``limits.cell_chars``
  characters; quoting is strict, so a quote that is never closed or a stray character after
  a closing quote stops the file at the line where its record starts (not the whole rest of
  the file read into one cell). Bytes that are not UTF-8 are kept as ``surrogateescape``
  characters, so the cell's check reports them at their true line and column (``text``).
- **XLSX** is checked before calamine sees it (``_check_workbook``): every part is unpacked
  once with ``zipfile``, which holds each to its declared size and checksum, and the total
  is capped; each worksheet's declared dimension and the references of its cells are
  scanned, so the area the reader would hold in memory (its last row times its last column,
  whatever the file declares) is capped. The sheet read is the one named after the import
  kind, else the first visible worksheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from defusedxml import ElementTree
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from chargeback.importing.limits import ImportLimits
from chargeback.importing.text import UTF8_HINT, undecodable_byte
from chargeback.refusals import Problem, Refused


class FileFormatError(Refused):
    """The file cannot be read as a table at all (not the fault of a single row)."""

    def __init__(self, line: int, message: str, column: str | None = None):
        super().__init__(Problem(line=line, column=column, message=message))


@dataclass(frozen=True, kw_only=True)
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def open_table(stream: BinaryIO, filename: str, *, limits: ImportLimits | None = None,
               sheet: str | None = None) -> Table:
    """Pick the reader by the file's extension (XLSX) or its first bytes (a ZIP).

    ``sheet``: the name of the worksheet to prefer (the import kind), if the workbook has
    one; else the first visible worksheet is read."""
    limits = limits or ImportLimits()
    head = stream.read(4)
    stream.seek(0)
    if filename.lower().endswith((".xlsx", ".xlsm")) or head == b"PK\x03\x04":
        return _xlsx_table(stream, limits, sheet)
    return _csv_table(stream, limits)


# --- CSV --------------------------------------------------------------------------------------


class _CappedBytes(io.RawIOBase):
    """The file's bytes as they stream to the decoder, refusing a line longer than ``limit``
    bytes the moment it is longer (one scan of each block, not of each line), so a file
    without line breaks is never held whole."""

    BLOCK = 1 << 16

    def __init__(self, raw: BinaryIO, limit: int):
        self.raw, self.limit = raw, limit
        self.lines = 0  # line breaks seen so far
        self.run = 0  # bytes since the last line break

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        self.lines += data.count(b"\n")
        self.run = size - last - 1 if last != -1 else self.run + size
        if self.run > self.limit:
            raise FileFormatError(self.lines + 1, f"the line is longer than {self.limit:,} "
                                  "characters: is this a CSV file?")
        return size


def _decoded(stream: BinaryIO, limits: ImportLimits) -> io.TextIOWrapper:
    """The stream as text, a line at most ``limits.line_chars`` bytes; a byte that is not
    UTF-8 is kept as a ``surrogateescape`` character for its cell's check to report."""
    capped = io.BufferedReader(_CappedBytes(stream, limits.line_chars), _CappedBytes.BLOCK)
    return io.TextIOWrapper(capped, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _csv_table(stream: BinaryIO, limits: ImportLimits) -> Table:
    text = _decoded(stream, limits)
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        _let_go(text)
        raise _quoting_error(exc, stream, 1, [], limits) from None
    except FileFormatError:
        _let_go(text)
        raise
    if header is None:
        _let_go(text)
        raise FileFormatError(1, "the file is empty: a header row is required")
    byte = undecodable_byte("".join(header))
    if byte is not None:
        _let_go(text)
        raise FileFormatError(1, f"the header is not UTF-8 text (byte 0x{byte:02X}): "
                              f"{UTF8_HINT}")
    header = [h.strip() for h in header]
    return Table(header=header, rows=_csv_rows(reader, stream, text, header, limits))


def _let_go(text: io.TextIOWrapper) -> None:
    """Leave the caller's stream open (a wrapper closes what it wraps when collected)."""
    text.detach().detach()


def _csv_rows(reader, stream: BinaryIO, text: io.TextIOWrapper, header: list[str],
              limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    line = reader.line_num
    cell_chars = limits.cell_chars
    try:
        for row in reader:
            if row and max(map(len, row)) > cell_chars:
                raise _long_cell(line + 1, row, header, limits)
            line = reader.line_num
            if row and row[0].strip() or not _blank(row):
                yield line, row
    except csv.Error as exc:
        raise _quoting_error(exc, stream, line + 1, header, limits) from None
    finally:
        _let_go(text)


def _long_cell(line: int, cells: list[str], header: list[str],
               limits: ImportLimits) -> FileFormatError:
    index = next(i for i, cell in enumerate(cells) if len(cell) > limits.cell_chars)
    return FileFormatError(line, f"a cell of {len(cells[index]):,} characters, above the "
                           f"limit of {limits.cell_chars:,} (CHARGEBACK_IMPORT_MAX_CELL_CHARS)",
                           column=_column(header, index))


def _quoting_error(exc: csv.Error, stream: BinaryIO, line: int, header: list[str],
                   limits: ImportLimits) -> FileFormatError:
    """A record the strict reader refused, at the line where the record starts and, when
    it can be found, the cell whose quoting is wrong (the record's text is read again: a
    refused file pays for it, not every line of a good one)."""
    found = _bad_quote(_record_text(stream, line, limits))
    column = None if found is None else _column(header, found[0])
    if "field larger than field limit" in str(exc):
        message = (f"a cell longer than {csv.field_size_limit():,} characters: a quote that "
                   "is never closed?")
    elif found is not None and found[1] == "open":
        message = ('the quote that opens this cell is never closed: add the closing " (the '
                   "rest of the file would be read into the cell)")
    elif found is not None:
        message = ('a quote inside the cell: write a quote in a cell as "" inside a quoted '
                   'cell ("a ""b"" c")')
    else:
        message = f"not a CSV line ({exc})"
    return FileFormatError(line, message, column=column)


RECORD_CHARS = 1 << 16  # of a refused record, read again to find the cell at fault


def _record_text(stream: BinaryIO, line: int, limits: ImportLimits) -> str:
    """The text from physical line ``line`` on (at most ``RECORD_CHARS`` characters)."""
    try:
        stream.seek(0)
    except (OSError, ValueError):
        return ""
    text = _decoded(stream, limits)
    try:
        kept: list[str] = []
        size = 0
        for number, physical in enumerate(text, start=1):
            if number >= line:
                kept.append(physical)
                size += len(physical)
                if size >= RECORD_CHARS:
                    break
        return "".join(kept)
    except FileFormatError:
        return ""
    finally:
        _let_go(text)


def _bad_quote(record: str) -> tuple[int, str] | None:
    """(index of the cell, "open" or "stray") of the first quoting error in a record's text."""
    cell, position, size = 0, 0, len(record)
    at_start, quoted = True, False
    while position < size:
        character = record[position]
        position += 1
        if quoted:
            if character != '"':
                continue
            if record[position:position + 1] == '"':
                position += 1
                continue
            quoted = False
            if position < size and record[position] not in ",\r\n":
                return cell, "stray"
        elif character == ",":
            cell, at_start = cell + 1, True
        elif character == '"' and at_start:
            quoted, at_start = True, False
        elif character == '"':
            return cell, "stray"
        else:
            at_start = False
    return (cell, "open") if quoted else None


def _column(header: list[str], index: int) -> str:
    return header[index] if index < len(header) and header[index] else f"column {index + 1}"


def _blank(cells: list[str]) -> bool:
    """No cell but spaces (a spreadsheet's empty row); the usual row answers at its first."""
    return not (cells and cells[0].strip()) and not any(cell.strip() for cell in cells)


# --- XLSX -------------------------------------------------------------------------------------


def _xlsx_table(stream: BinaryIO, limits: ImportLimits, wanted: str | None) -> Table:
    _check_workbook(stream, limits)
    stream.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(stream)
        sheet = workbook.get_sheet_by_name(_sheet_name(workbook, wanted))
        rows = iter(sheet.iter_rows())
    except FileFormatError:
        raise
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FileFormatError(1, f"not a readable XLSX workbook ({exc})") from exc
    header = next(rows, None)
    if header is None:
        raise FileFormatError(1, f"the sheet '{sheet.name}' is empty: a header row is required")
    header = [cell_text(c).strip() for c in header]
    return Table(header=header, rows=_xlsx_rows(rows, header, limits))


def _sheet_name(workbook: CalamineWorkbook, wanted: str | None) -> str:
    """The worksheet named ``wanted`` (any case), else the first visible worksheet: a hidden
    sheet is never read unless it is the one named."""
    sheets = [s for s in workbook.sheets_metadata if s.typ == SheetTypeEnum.WorkSheet]
    for sheet in sheets:
        if wanted is not None and sheet.name.strip().lower() == wanted.lower():
            return sheet.name
    for sheet in sheets:
        if sheet.visible == SheetVisibleEnum.Visible:
            return sheet.name
    raise FileFormatError(1, "the workbook has no visible worksheet")


def _xlsx_rows(rows, header: list[str], limits: ImportLimits) -> Iterator[tuple[int, list[str]]]:
    for line, row in enumerate(rows, start=2):
        cells = [cell_text(c) for c in row]
        if cells and max(map(len, cells)) > limits.cell_chars:
            raise _long_cell(line, cells, header, limits)
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
    if text in ("inf", "-inf", "nan"):
        return text
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


# --- XLSX: checked before it is read ----------------------------------------------------------

MAX_PARTS = 10_000
CHUNK = 1 << 20
MAX_TAG_BYTES = 1 << 16
WORKSHEET_TYPE = "/relationships/worksheet"
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_CELL_TAG = re.compile(_PREFIX + rb"c[\s/>]")
_CELL_REF = re.compile(_PREFIX + rb"c\s[^>]*?(?<![\w:.-])r\s*=\s*[\"']\s*([A-Za-z]{1,3})"
                       rb"([0-9]{1,9})\s*[\"']")
# What spreadsheet programs write: `<c r="B12"`, the reference first, no namespace prefix.
_PLAIN_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_PLAIN_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,9})"')
_DIMENSION = re.compile(_PREFIX + rb"dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_RANGE_END = re.compile(r"([A-Za-z]{1,3})([0-9]{1,9})\s*$")


def _check_workbook(stream: BinaryIO, limits: ImportLimits) -> None:
    """Refuse a workbook whose parts unpack beyond ``limits.xlsx_bytes`` or whose sheets
    span more rows or cells than the limits, before calamine allocates anything."""
    try:
        with zipfile.ZipFile(stream) as book:
            parts = [info for info in book.infolist() if not info.is_dir()]
            if len(parts) > MAX_PARTS:
                raise FileFormatError(1, f"the workbook has more than {MAX_PARTS:,} parts")
            _check_size(sum(info.file_size for info in parts), limits)
            sheets = _worksheet_parts(book)
            total = 0
            for info in parts:
                scan = _SheetScan(info.filename, limits) if _is_sheet(info, sheets) else None
                with book.open(info) as part:  # held to its declared size and checksum
                    while chunk := part.read(CHUNK):
                        total += len(chunk)
                        _check_size(total, limits)
                        if scan is not None:
                            scan.feed(chunk)
                if scan is not None:
                    scan.finish()
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            NotImplementedError, RuntimeError, ValueError, ElementTree.ParseError) as exc:
        raise FileFormatError(1, f"not a readable XLSX workbook ({exc})") from None


def _check_size(size: int, limits: ImportLimits) -> None:
    if size > limits.xlsx_bytes:
        raise FileFormatError(1, f"the workbook unpacks to more than {_mb(limits.xlsx_bytes)} "
                              f"(at least {_mb(size)}), above the limit "
                              "(CHARGEBACK_XLSX_MAX_BYTES): save the data as CSV")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _worksheet_parts(book: zipfile.ZipFile) -> set[str]:
    """The worksheets the workbook's relationships name (what calamine reads)."""
    try:
        info = book.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        return set()
    if info.file_size > MAX_TAG_BYTES * 16:
        raise FileFormatError(1, "not a readable XLSX workbook (its relationships part is "
                              "too large)")
    root = ElementTree.fromstring(book.read(info), forbid_dtd=True)
    found = set()
    for relation in root:
        if str(relation.get("Type", "")).endswith(WORKSHEET_TYPE):
            target = str(relation.get("Target", ""))
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            found.add(path)
    return found


def _is_sheet(info: zipfile.ZipInfo, sheets: set[str]) -> bool:
    name = info.filename
    return name in sheets or name.startswith("xl/worksheets/") and name.endswith(".xml")


class _SheetScan:
    """The extent of one worksheet, from its XML as it is unpacked: the declared dimension,
    and the last row and column any cell's reference names."""

    def __init__(self, part: str, limits: ImportLimits):
        self.part, self.limits = part, limits
        self.tail = b""
        self.rows = self.columns = 0
        self.cells = self.references = 0
        self.declared: bytes | None = None
        self.past_head = False

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        cut = data.rfind(b"<")
        if cut == -1 or data.find(b">", cut) != -1:
            cut = len(data)  # the last tag is complete: nothing to carry over
        elif len(data) - cut > MAX_TAG_BYTES:
            raise FileFormatError(1, f"{self.part}: a tag longer than {MAX_TAG_BYTES:,} bytes")
        self.tail, data = data[cut:], data[:cut]
        if not self.past_head:  # the dimension comes before the cells, if at all
            cells = data.find(b"sheetData")
            self.past_head = cells != -1
            found = _DIMENSION.search(data if cells == -1 else data[:cells])
            if found:
                self.declared = found.group(1)
                self._check_declared()
        tags = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
        columns = _PLAIN_COLUMN.findall(data)
        if len(columns) == tags and b":c" not in data:  # every cell as programs write it
            self.cells += tags
            self.references += tags
            rows = set(_PLAIN_ROW.findall(data))
            letters = set(columns)
        else:  # any other spelling: a namespace prefix, single quotes, spaces, r not first
            self.cells += len(_CELL_TAG.findall(data))
            references = _CELL_REF.findall(data)
            self.references += len(references)
            rows = {row for _, row in references}
            letters = {column.upper() for column, _ in references}
        if rows:
            self.rows = max(self.rows, max(map(int, rows)))
            self.columns = max(self.columns, max(map(_column_number, letters)))
            self._check(_cell_name(self.columns, self.rows))

    def finish(self) -> None:
        self.feed(b"<")
        if self.references != self.cells:
            raise FileFormatError(1, f"{self.part}: {self.cells - self.references:,} cell(s) "
                                  "without a plain reference (r=\"A1\"): save the workbook "
                                  "again with a spreadsheet program, or save the data as CSV")

    def _check_declared(self) -> None:
        ref = self.declared.decode("ascii", "replace")
        end = _RANGE_END.search(ref)
        if end is None:
            return
        rows, columns = int(end.group(2)), _column_number(end.group(1).encode())
        if rows > self.limits.xlsx_rows or rows * columns > self.limits.xlsx_cells:
            raise FileFormatError(1, f"the sheet declares its cells as {ref}: "
                                  f"{rows:,} rows by {columns:,} columns, above the limits "
                                  f"of {self.limits.xlsx_rows:,} rows and "
                                  f"{self.limits.xlsx_cells:,} cells (CHARGEBACK_XLSX_MAX_ROWS, "
                                  "CHARGEBACK_XLSX_MAX_CELLS)")

    def _check(self, last: str) -> None:
        if self.rows > self.limits.xlsx_rows:
            raise FileFormatError(1, f"the sheet has {self.rows:,} rows (its last cell is "
                                  f"{last}), above the limit of {self.limits.xlsx_rows:,} "
                                  "(CHARGEBACK_XLSX_MAX_ROWS): split the file, or save the "
                                  "data as CSV")
        if self.rows * self.columns > self.limits.xlsx_cells:
            raise FileFormatError(1, f"the sheet reaches cell {last}: {self.rows:,} rows by "
                                  f"{self.columns:,} columns, above the limit of "
                                  f"{self.limits.xlsx_cells:,} cells "
                                  "(CHARGEBACK_XLSX_MAX_CELLS): delete what lies beyond the "
                                  "data, or save the data as CSV")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _cell_name(column: int, row: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"
