"""Rows of a write-only sheet written as ready-made XML: the bytes openpyxl would write.

Why: openpyxl's write-only sheet makes a cell object per value, binds and type-checks it,
works out its coordinate and style id, and has lxml write each element in turn; for the
pack's big tables (a row per charge line) that per-cell work was most of the pack's
time. Here a table's column becomes a small function from value to the XML of its cell,
with everything that does not change from row to row worked out once: the style id (from
the workbook's registered styles, registered the first time a row needs it, as openpyxl
does), the cell type, and for text the whole escaped ``<is><t>...</t></is>`` of each
distinct value (made by lxml itself, with the formula-safe rules of ``reports.cells``
applied once per distinct value). Only the row number and the numbers' text are made per
row.

The result is what openpyxl writes for the same cells, byte for byte
(``tests/reports/test_streamed_rows.py`` compares whole sheets):

- text: ``<c r="A2" t="inlineStr"><is><t>text</t></is></c>``, ``s="n"`` when the cell
  has a style (a quote prefix, an alignment), ``xml:space="preserve"`` on ``t`` when the
  text has blanks at either end, characters outside ASCII as character references
  (openpyxl's files are written in ASCII);
- numbers: ``<c r="H2" s="n" t="n"><v>69.65000000000001</v></c>``, the value as
  ``"%.16g"`` of it, as openpyxl's ``safe_string`` writes it;
- an empty value (None, ``""``): no cell at all;
- a row with a height: ``<row r="2" ht="31" customHeight="1">``, from the sheet's
  ``row_dimensions`` as openpyxl reads them.

The workbook stays an ordinary openpyxl write-only workbook: ``open_rows`` gives the
sheet a writer (openpyxl's ``WorksheetWriter``, its stream opened on a file object this
module can also write to) and a row generator that takes either a list of cells (the
header and closing rows, through openpyxl's own ``write_row``) or ready-made row XML,
keeping the row numbers of both in step. Everything else (columns, views, filters,
print setup, charts, saving) is openpyxl's. Without lxml (openpyxl then writes with
``et_xmlfile``, which cannot hand over its stream) ``STREAMED`` is False and tables
write through ``ws.append`` as before.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml.etree import Element, tostring  # lxml's own: ASCII, as openpyxl's sheets are
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml import LXML
from openpyxl.xml.constants import SHEET_MAIN_NS, XML_NS
from openpyxl.xml.functions import xmlfile

from reports.cells import clean_text, needs_quote

STREAMED = LXML  # tests set it False to get the plain openpyxl path for comparison

CellXml = Callable[[object], "str | None"]  # a value -> its cell's XML after `<c r="A2"`

TEXT_LIMIT = 32_767  # characters in a cell (openpyxl's check_string cuts there)
_PRESERVE = {f"{{{XML_NS}}}space": "preserve"}


def style_attribute(template: WriteOnlyCell) -> str:
    """`` s="n"`` for a styled template cell (its style registered now, as openpyxl
    registers a cell's style when it writes it), ``""`` for an unstyled one."""
    if template is None or not template.has_style:
        return ""
    return f' s="{template.style_id}"'


def inline_text(text: str) -> str:
    """``<is><t>text</t></is>`` exactly as openpyxl has lxml write it."""
    attributes = _PRESERVE if text != text.strip() else {}
    element = Element("t", attributes)
    element.text = text
    return f"<is>{tostring(element).decode('ascii')}</is>"


class TextCells:
    """A text column's cells: None or ``""`` is no cell; other text a string cell, never
    a formula, quote-prefixed when a spreadsheet could take it for one (``reports.cells``).

    The same choices as ``reports.cells.TextWriter`` (two template cells: quoted and
    plain, both with the column's alignment), made once per distinct value and kept as
    the cell's XML (bounded, like ``TextWriter``).
    """

    REMEMBERED = 50_000

    __slots__ = ("_plain", "_quoted", "_seen")

    def __init__(self, ws, alignment=None) -> None:
        self._quoted = WriteOnlyCell(ws)
        self._quoted.quotePrefix = True
        self._plain = None
        if alignment is not None:
            self._quoted.alignment = alignment
            self._plain = WriteOnlyCell(ws)
            self._plain.alignment = alignment
        self._seen: dict[str, str] = {}

    def __call__(self, value: object) -> str | None:
        if value is None or value == "":
            return None
        xml = self._seen.get(value)  # type: ignore[arg-type]
        if xml is None:
            xml = self._prepare(value)
        return xml

    def _prepare(self, value: object) -> str:
        # TypeError if not text; cut to a cell's 32,767 characters as openpyxl cuts it
        text = clean_text(value)[:TEXT_LIMIT]  # type: ignore[arg-type]
        template = self._quoted if needs_quote(text) else self._plain
        xml = f'{style_attribute(template)} t="inlineStr">{inline_text(text)}</c>'
        if len(self._seen) >= self.REMEMBERED:
            self._seen.clear()
        self._seen[value] = xml  # type: ignore[index]
        return xml


class NumberCells:
    """A number column's cells: ``prepare`` checks (and may fit) each value; None is no
    cell. One template cell carries the column's number format and alignment."""

    __slots__ = ("_head", "_prepare", "_template")

    def __init__(self, ws, number_format: str, prepare: Callable[[object], object],
                 alignment=None) -> None:
        self._template = WriteOnlyCell(ws)
        self._template.number_format = number_format
        if alignment is not None:
            self._template.alignment = alignment
        self._prepare = prepare
        self._head: str | None = None

    def __call__(self, value: object) -> str | None:
        if value is None:
            return None
        number = self._prepare(value)
        head = self._head
        if head is None:  # the style is registered with the column's first number
            head = self._head = f'{style_attribute(self._template)} t="n"><v>'
        # openpyxl's safe_string, to the letter: "%" formats a Decimal through its float
        return f"{head}{'%.16g' % number}</v></c>"  # noqa: UP031


class RowStream:
    """The rows of one write-only sheet, in order: cell lists through openpyxl, ready-made
    XML straight to the sheet's file. Made before the sheet's first row (``open_rows``)."""

    def __init__(self, ws) -> None:
        if ws._writer is not None or ws._rows is not None:
            raise ValueError(f"sheet {ws.title!r} has rows already")
        self._ws = ws
        self._writer = writer = _Writer(ws)
        ws._writer = writer
        writer.write_top()  # the columns, views and format, as ws.append would
        self.next_row = 1  # the number the next row gets
        self._dirty = True  # lxml may hold output not yet in the file
        ws._rows = self._rows()
        next(ws._rows)

    def _rows(self):
        """openpyxl's ``_write_rows``, also taking ready-made rows (``bytes``)."""
        writer, ws = self._writer, self._ws
        xf = writer.xf.send(True)
        with xf.element("sheetData"):
            try:
                while True:
                    row = yield
                    if type(row) is bytes:
                        if self._dirty:
                            xf.flush()
                            self._dirty = False
                        writer.handle.write(row)
                    else:
                        writer.write_row(xf, ws._values_to_row(row, self.next_row),
                                         self.next_row)
                        self._dirty = True
                    self.next_row += 1
            except GeneratorExit:
                pass
        writer.xf.send(None)

    def write(self, xml: str) -> None:
        """One row's XML (``<row r="n">...</row>``, n being ``next_row``)."""
        self._ws._rows.send(xml.encode("ascii"))

    def row_attributes(self) -> str:
        """The next row's attributes besides ``r``, from ``row_dimensions`` (a height)."""
        dimension = self._ws.row_dimensions.get(self.next_row)
        if not dimension:
            return ""
        return "".join(f' {key}="{value}"' for key, value in dimension)


def open_rows(ws) -> RowStream | None:
    """A ``RowStream`` for ``ws`` (before its first row), or None without lxml."""
    return RowStream(ws) if STREAMED else None


class _Writer(WorksheetWriter):
    """openpyxl's sheet writer, its XML stream opened on a file object (``handle``) so
    that ready-made rows can go to the same file between lxml's own writes."""

    handle = None

    def get_stream(self):
        with open(self.out, "wb") as handle, xmlfile(handle) as xf:
            self.handle = handle
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = yield
                        if el is True:
                            yield xf
                        elif el is not None:
                            xf.write(el)
                except GeneratorExit:
                    pass
