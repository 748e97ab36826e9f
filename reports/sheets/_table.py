"""A table sheet, streamed: header in row 1 (bold, frozen), one row per record, autofilter.

Each column has a kind that decides how its values become cells:

- ``text``: ``str`` or None -> a string cell, never a formula (``cells.TextWriter``);
- ``wrap``: the same, wrapped in its column (the row is made tall enough for the text);
- ``money`` / ``rate`` / ``quantity`` / ``decimal``: ``Decimal`` or ``int`` -> a number
  cell formatted ``#,##0.00`` / ``0.000000`` / ``#,##0.00####`` / ``#,##0.00####``;
- ``one_decimal``: ``Decimal`` or ``int`` -> a number cell ``0.0``, fitted by
  ``cells.one_decimal`` so that rounding the cell half-up gives the rules' figure;
- ``integer``: ``int`` -> a number cell ``0``;
- ``any``: one of the above, a datetime or a ``cells.Formula``, chosen by the value's type
  (the Cover); its text wraps like ``wrap``;
- ``figure``: a ``Figure(value, kind)``, the kind (``money``, ``percent``, ``count`` or
  ``text``) chosen row by row (the Summary, where one column holds money on one row and a
  percentage on the next).

None is an empty cell, never zero. A float is refused (``TypeError``): figures are
Decimals from end to end. When the pack is provisional every table gets a last column
``Status`` holding ``PROVISIONAL`` on every data row.

How the rows are written: a table whose columns are all of the kinds above but ``any``
and ``figure`` (every big table: Charges, Journal, Statements, Portfolio, Trend, the unit
sheets) writes its data rows as ready-made XML (``reports.sheets._rows``: the bytes
openpyxl would write for the same cells, without a cell object per value); the header,
the closing row and the other tables go through openpyxl's ``ws.append``. Both ways give
the same file (``tests/reports/test_streamed_rows.py``).

A table may end with one closing row, in bold under a rule and outside the autofilter:
a totals row (``totals=``: ``Total`` in the first column and ``=SUBTOTAL(109, ...)`` of the
data rows under each named column, so a filter narrows the total to the rows shown) or a
row of values given to ``finish`` (a unit's attainment).

Printing (``Page``): every sheet is A4 landscape with a header (the pack's period, the sheet
name, PROVISIONAL when so) and a footer (``Page x of y``), its header row repeated on every
page, fitted to the page width unless that would shrink it below ``styles.MIN_SCALE``
percent: a wider table prints at a fixed scale and continues on pages across, its first
column repeated. ``pack._fill`` gives the workbook its ``Page`` once (``set_page``); a
table takes it from there unless it is given one of its own (``page=``, a unit sheet's).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field, replace

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from reports import styles
from reports.cells import (
    Formula,
    TextWriter,
    excel_datetime,
    header_text,
    number,
    one_decimal,
    range_reference,
    text_cell,
)
from reports.sheets import _rows

STATUS_HEADER = "Status"
STATUS_VALUE = "PROVISIONAL"
TOTAL_LABEL = "Total"
ABOUT_LIMIT = 150  # characters of a page header's "about" (Excel: 255 for a whole header)
EXCEL_MAX_ROWS = 1_048_576

_FORMATS = {
    "money": styles.MONEY,
    "rate": styles.RATE,
    "quantity": styles.QUANTITY,
    "decimal": styles.DECIMAL,
    "one_decimal": styles.ONE_DECIMAL,
    "integer": styles.INTEGER,
}
_WRAPPING = ("wrap", "any")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    width: float


STATUS_COLUMN = Column(STATUS_HEADER, "text", styles.WIDTH_STATUS)

Writer = Callable[[object], object]


# ------------------------------------------------------------------------ the printed page


@dataclass(frozen=True)
class Page:
    """What every printed page of a sheet says besides its cells.

    Header: on the left ``Chargeback pack <period>`` (``, revision n`` after a reopening),
    in the centre the sheet's name (``&A``) and ``about`` if any (a unit sheet: the unit's
    name, service model, attainment and band), on the right ``PROVISIONAL`` (bold) when
    the pack is provisional. Footer: ``Page x of y`` in the centre (``&P`` and ``&N``:
    page numbers run on from sheet to sheet, so printing or exporting the whole workbook
    numbers its pages 1 to y), ``PROVISIONAL`` again on the right.
    """

    period: str | None = None
    revision: int = 1
    provisional: bool = False
    about: str | None = None

    def with_about(self, about: str | None) -> Page:
        """The same page with ``about`` in the centre of its header."""
        return replace(self, about=about)

    def header(self) -> tuple[str, str, str]:
        """(left, centre, right) of the header, in Excel's header code."""
        left = "Chargeback pack"
        if self.period:
            left += f" {header_text(self.period)}"
            if self.revision > 1:
                left += f", revision {self.revision}"
        centre = "&B&A&B"
        if self.about:
            centre += f": {header_text(self.about[:ABOUT_LIMIT])}"
        return left, centre, self._provisional()

    def footer(self) -> tuple[str, str, str]:
        """(left, centre, right) of the footer, in Excel's header code."""
        return "", "Page &P of &N", self._provisional()

    def _provisional(self) -> str:
        return f"&B{STATUS_VALUE}&B" if self.provisional else ""


@dataclass
class _Book:
    """What the tables of one workbook share: the page, and the tables in order."""

    page: Page | None = None
    tables: list[Table] = field(default_factory=list)


_BOOK = "_reports_book"  # kept on the workbook itself: it goes when the workbook goes


def _book(workbook) -> _Book:
    book = getattr(workbook, _BOOK, None)
    if book is None:
        book = _Book()
        setattr(workbook, _BOOK, book)
    return book


def set_page(workbook, page: Page) -> None:
    """The page every table of ``workbook`` prints with, unless given its own."""
    _book(workbook).page = page


def page_of(workbook) -> Page | None:
    """The page set for ``workbook``, if any."""
    book = getattr(workbook, _BOOK, None)
    return book.page if book else None


def _fit(ws, widths: Sequence[float]) -> None:
    """Fit to the page width, or a fixed scale (at least MIN_SCALE) and pages across."""
    pixels = [styles.column_pixels(width) for width in widths]
    room = styles.PRINTABLE_WIDTH_PX * styles.SAFETY
    if sum(pixels) * styles.MIN_SCALE <= room * 100:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
        return
    fewest = _pages_across(pixels, styles.MIN_SCALE, room)
    scale = max(s for s in range(styles.MIN_SCALE, 101)
                if _pages_across(pixels, s, room) == fewest)
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = scale
    ws.page_setup.pageOrder = "overThenDown"  # a row's continuation comes next
    ws.print_title_cols = "A:A"  # every page across says which row it continues


def _pages_across(pixels: Sequence[int], scale: int, room: float) -> int:
    """Pages needed across at ``scale`` percent, the first column repeated on each."""
    room = room * 100 / scale
    pages, used = 1, 0
    for width in pixels:
        if used + width > room and used > pixels[0]:
            pages += 1
            used = pixels[0]
        used += width
    return pages


def _print_setup(ws, widths: Sequence[float], page: Page) -> None:
    """Landscape A4, header and footer, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = styles.PAPER_A4
    ws.page_margins = PageMargins(
        left=styles.MARGIN_SIDE_IN, right=styles.MARGIN_SIDE_IN,
        top=styles.MARGIN_TOP_IN, bottom=styles.MARGIN_TOP_IN,
        header=styles.MARGIN_HEADER_IN, footer=styles.MARGIN_HEADER_IN)
    ws.print_options.gridLines = True
    _fit(ws, widths)
    ws.print_title_rows = "1:1"
    for part, (left, centre, right) in ((ws.oddHeader, page.header()),
                                         (ws.oddFooter, page.footer())):
        # an empty part is left out (None): "&R" with nothing after it would be read
        # back as part of the centre
        part.left.text, part.center.text, part.right.text = (
            text or None for text in (left, centre, right))


# ------------------------------------------------------------------------------- cells


def _number_writer(ws, number_format: str, prepare: Callable[[object], object],
                   alignment=None) -> Writer:
    cell = WriteOnlyCell(ws)  # one styled template cell per column, reused every row
    cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment

    def write(value: object) -> object:
        if value is None:
            return None
        cell.value = prepare(value)
        return cell

    return write


def _integer(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"int expected, got {type(value).__name__}: {value!r}")
    return value  # type: ignore[return-value]


def _formula_writer(ws, alignment=None) -> Callable[[Formula], Cell]:
    cells: dict[str, WriteOnlyCell] = {}  # one template per number format

    def write(formula: Formula) -> Cell:
        cell = cells.get(formula.number_format)
        if cell is None:
            cell = cells[formula.number_format] = WriteOnlyCell(ws)
            cell.number_format = formula.number_format
            if alignment is not None:
                cell.alignment = alignment
        cell.value = formula.text  # a str starting with "=": a formula cell
        return cell

    return write


def _any_writer(ws, alignment=None) -> Writer:
    """Text, numbers, dates and formulas in one column (the Cover's Value): text wraps,
    numbers stand at the left beside it."""
    alignment = styles.LEFT_TOP
    text = TextWriter(ws, styles.WRAP)
    integer = _number_writer(ws, styles.INTEGER, _integer, alignment)
    decimal = _number_writer(ws, styles.DECIMAL, number, alignment)
    when = _number_writer(ws, styles.DATETIME, excel_datetime, alignment)
    formula = _formula_writer(ws, alignment)

    def write(value: object) -> object:
        if value is None or isinstance(value, str):
            return text(value)  # type: ignore[arg-type]
        if isinstance(value, dt.datetime):
            return when(value)
        if type(value) is int:
            return integer(value)
        if isinstance(value, Formula):
            return formula(value)
        return decimal(value)

    return write


@dataclass(frozen=True)
class Figure:
    """A value whose number format is chosen per row (``figure`` columns)."""

    value: object
    kind: str  # money, percent, count or text


_FIGURE_KINDS = {"money": "money", "percent": "one_decimal", "count": "integer",
                 "text": "text"}


def _figure_writer(ws, alignment=None) -> Writer:
    writers = {kind: _writer(ws, column_kind, alignment)
               for kind, column_kind in _FIGURE_KINDS.items()}

    def write(figure: object) -> object:
        if figure is None:
            return None
        if not isinstance(figure, Figure) or figure.kind not in writers:
            raise TypeError(f"Figure with a kind of {sorted(writers)} expected: {figure!r}")
        value = figure.value
        if figure.kind != "text" and isinstance(value, str):
            return writers["text"](value)
        return writers[figure.kind](value)

    return write


def _writer(ws, kind: str, alignment=None) -> Writer:
    if kind == "figure":
        return _figure_writer(ws, alignment)
    if kind == "text":
        return TextWriter(ws, alignment)  # type: ignore[return-value]
    if kind == "wrap":
        return TextWriter(ws, styles.WRAP)  # type: ignore[return-value]
    if kind == "any":
        return _any_writer(ws, alignment)
    if kind == "integer":
        return _number_writer(ws, styles.INTEGER, _integer, alignment)
    if kind == "one_decimal":
        return _number_writer(ws, styles.ONE_DECIMAL, one_decimal, alignment)
    try:
        return _number_writer(ws, _FORMATS[kind], number, alignment)
    except KeyError:
        raise ValueError(f"unknown column kind {kind!r}") from None


def _cell_xml(ws, kind: str, alignment=None) -> _rows.CellXml:
    """The streamed twin of ``_writer``: a value of a ``kind`` column to its cell's XML."""
    if kind == "text":
        return _rows.TextCells(ws, alignment)
    if kind == "wrap":
        return _rows.TextCells(ws, styles.WRAP)
    if kind == "integer":
        return _rows.NumberCells(ws, styles.INTEGER, _integer, alignment)
    if kind == "one_decimal":
        return _rows.NumberCells(ws, styles.ONE_DECIMAL, one_decimal, alignment)
    return _rows.NumberCells(ws, _FORMATS[kind], number, alignment)


_STREAMED_KINDS = frozenset({"text", "wrap", *_FORMATS})


def _header_cell(ws, header: str):
    cell = text_cell(ws, header)
    cell.font = styles.HEADER_FONT
    cell.fill = styles.HEADER_FILL
    cell.border = styles.HEADER_BORDER
    cell.alignment = styles.HEADER_ALIGNMENT
    return cell


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide."""
    per_line = max(1, int(width * styles.CHARACTERS_PER_WIDTH))
    return sum(len(textwrap.wrap(paragraph, per_line)) or 1
               for paragraph in text.split("\n"))


# ------------------------------------------------------------------------------- table


class Table:
    """A sheet of ``workbook`` (write-only) named ``title`` whose header is ``columns``.

    ``totals`` names the columns (money) summed by a last ``Total`` row; ``page`` is what
    the printed pages say (default: the workbook's page, see ``set_page``).
    """

    def __init__(self, workbook, title: str, columns: Sequence[Column], *,
                 provisional: bool, page: Page | None = None,
                 totals: Sequence[str] = (), printed: int | None = None) -> None:
        """``printed``: print only the first ``printed`` columns (the others are data for
        the workbook's charts and for readers who filter, not for the printed page)."""
        self.title = title
        self._ws = ws = workbook.create_sheet(title)
        shown = [*columns, STATUS_COLUMN] if provisional else list(columns)
        self._letters = {column.header: get_column_letter(index)
                         for index, column in enumerate(columns, 1)}
        unknown = [header for header in totals if header not in self._letters]
        if unknown:
            raise ValueError(f"no column {unknown} to total on {title!r}")
        self._totals = tuple(totals)
        self._kinds = [column.kind for column in shown]
        # Widths and the frozen header go before the first row: a write-only sheet
        # writes its top (views, columns) when the first row arrives.
        for index, column in enumerate(shown, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        book = _book(workbook)
        page = page or book.page or Page()
        if provisional and not page.provisional:
            page = replace(page, provisional=True)
        on_paper = shown[:printed] if printed else shown
        _print_setup(ws, [column.width for column in on_paper], page)
        self._last_column = get_column_letter(len(shown))
        self._last_printed = get_column_letter(len(on_paper))
        self._wrapped = [(index, column.width) for index, column in enumerate(columns)
                         if column.kind in _WRAPPING]
        alignment = styles.TOP if self._wrapped else None
        self._writers = [_writer(ws, column.kind, alignment) for column in columns]
        self._status: tuple[object, ...] = ()
        if provisional:
            self._status = (STATUS_VALUE,)
            if alignment is not None:  # at the top of a tall row, like the rest of it
                status = WriteOnlyCell(ws, STATUS_VALUE)
                status.alignment = alignment
                self._status = (status,)
        self._stream = None
        if all(column.kind in _STREAMED_KINDS for column in columns):
            self._stream = _rows.open_rows(ws)
        if self._stream is not None:
            # (the start of each cell, up to its row number; its value -> the rest)
            self._cells = [(f'<c r="{get_column_letter(index)}',
                            _cell_xml(ws, column.kind, alignment))
                           for index, column in enumerate(columns, 1)]
            self._status_xml: tuple[str, _rows.TextCells] | None = None
            if provisional:
                status = _rows.TextCells(ws, alignment)
                self._status_xml = (f'<c r="{get_column_letter(len(shown))}', status)
        ws.append([_header_cell(ws, column.header) for column in shown])
        self._rows = 1
        self._data_end = 1
        self._capacity = EXCEL_MAX_ROWS - (1 if totals else 0)
        self._book = book
        book.tables.append(self)

    def tables(self) -> list[Table]:
        """Every table of this table's workbook so far (itself included), in order."""
        return list(self._book.tables)

    @property
    def worksheet(self):
        """The sheet itself, for what goes beside the table (charts)."""
        return self._ws

    @property
    def rows(self) -> int:
        """Rows written, the header (and a closing row) included."""
        return self._rows

    @property
    def data_rows(self) -> int:
        """Data rows written: the header and a closing row left out."""
        return self._data_end - 1

    def append(self, values: Sequence[object]) -> None:
        """One data row: ``values`` in the order of the columns (Status excluded)."""
        if self._rows >= self._capacity:
            raise ValueError(f"sheet {self.title!r} is full ({self._capacity} rows)")
        if self._wrapped:
            self._fit_height(values)
        if self._stream is not None:
            self._stream.write(self._row_xml(values))
        else:
            row = [write(value) for write, value in zip(self._writers, values, strict=True)]
            row.extend(self._status)
            self._ws.append(row)
        self._rows += 1
        self._data_end = self._rows

    def _row_xml(self, values: Sequence[object]) -> str:
        """The data row as openpyxl would write it (``reports.sheets._rows``)."""
        stream = self._stream
        number = stream.next_row  # type: ignore[union-attr]
        parts = [f'<row r="{number}"{stream.row_attributes()}>']  # type: ignore[union-attr]
        for (start, cell_xml), value in zip(self._cells, values, strict=True):
            xml = cell_xml(value)
            if xml is not None:
                parts.append(f'{start}{number}"{xml}')
        if self._status_xml is not None:
            start, status = self._status_xml
            parts.append(f'{start}{number}"{status(STATUS_VALUE)}')
        parts.append("</row>")
        return "".join(parts)

    def reference(self, header: str) -> str | None:
        """``'Sheet'!$J$2:$J$n``: the data rows of column ``header`` (None if no rows)."""
        if self._data_end < 2:
            return None
        return range_reference(self.title, self._letters[header], 2, self._data_end)

    def finish(self, last: Sequence[object] | None = None) -> None:
        """The closing row (the totals, or ``last``: values in column order, Status
        excluded), then the autofilter over the header and the data rows."""
        if self._totals and last is not None:
            raise ValueError(f"{self.title!r} has a totals row; it cannot end with another")
        if self._totals:
            self._closing(self._total_row())
        elif last is not None:
            if self._rows >= EXCEL_MAX_ROWS:
                raise ValueError(f"sheet {self.title!r} is full ({EXCEL_MAX_ROWS} rows)")
            if self._wrapped:
                self._fit_height(last)
            self._closing([write(value) for write, value in zip(self._writers, last,
                                                                 strict=True)])
        self._ws.auto_filter.ref = f"A1:{self._last_column}{self._data_end}"
        # Printed: exactly the table (LibreOffice would add an empty column when the last
        # header, beside its filter button, seems to overflow).
        self._ws.print_area = f"A1:{self._last_printed}{self._rows}"

    def print_through(self, last_row: int) -> None:
        """Print down to ``last_row``: what stands below the table (charts) prints too."""
        self._ws.print_area = f"A1:{self._last_printed}{max(last_row, self._rows)}"

    def _total_row(self) -> list[object]:
        row: list[object] = [TOTAL_LABEL] + [None] * (len(self._letters) - 1)
        for header in self._totals:
            index = list(self._letters).index(header)
            letter = self._letters[header]
            fmt = _FORMATS.get(self._kinds[index], styles.MONEY)
            if self._data_end < 2:  # no rows: a plain zero, not a range of no cells
                row[index] = _FormatAs(0, fmt)
            else:
                row[index] = _FormatAs(f"=SUBTOTAL(109,{letter}2:{letter}{self._data_end})",
                                       fmt)
        return row

    def _closing(self, cells: list[object]) -> None:
        """Write ``cells`` (a row of values or cells) in bold under a rule."""
        ws = self._ws
        out = []
        for item in [*cells, *self._status]:
            if isinstance(item, _FormatAs):
                cell = WriteOnlyCell(ws, item.value)
                cell.number_format = item.number_format
            elif isinstance(item, Cell):
                cell = WriteOnlyCell(ws, item.value)
                cell._style = copy(item._style)
                cell.data_type = item.data_type
            elif item is None:
                cell = WriteOnlyCell(ws)
            else:  # text a writer found harmless, or the closing row's own label
                cell = text_cell(ws, item) or WriteOnlyCell(ws)
            cell.font = styles.CLOSING_FONT
            cell.border = styles.CLOSING_BORDER
            out.append(cell)
        ws.append(out)
        self._rows += 1

    def _fit_height(self, values: Sequence[object]) -> None:
        """Make the next row tall enough for its longest wrapped text."""
        lines = 1
        for index, width in self._wrapped:
            value = values[index]
            if isinstance(value, str) and (len(value) > width or "\n" in value):
                lines = max(lines, text_lines(value, width))
        if lines > 1:
            self._ws.row_dimensions[self._rows + 1].height = (
                lines * styles.LINE_HEIGHT + styles.ROW_PADDING)


@dataclass(frozen=True)
class _FormatAs:
    """A value of the closing row with the number format to show it in."""

    value: object
    number_format: str
