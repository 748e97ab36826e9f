"""A table sheet, streamed: header in row 1 (bold, frozen), one row per record, autofilter.

Each column has a kind that decides how its values become cells:

- ``text``: ``str`` or None -> a string cell, never a formula (``cells.TextWriter``);
- ``wrap``: the same, wrapped in its column;
- ``money`` / ``rate`` / ``quantity`` / ``decimal``: ``Decimal`` or ``int`` -> a number
  cell formatted ``#,##0.00`` / ``0.000000`` / ``#,##0.00####`` / ``#,##0.00####``;
- ``one_decimal``: ``Decimal`` or ``int`` -> a number cell ``0.0``, fitted by
  ``cells.one_decimal`` so that rounding the cell half-up gives the rules' figure;
- ``integer``: ``int`` -> a number cell ``0``;
- ``any``: one of the above or a datetime, chosen by the value's type (the Cover);
- ``figure``: a ``Figure(value, kind)``, the kind (``money``, ``percent``, ``count`` or
  ``text``) chosen row by row (the Summary, where one column holds money on one row and a
  percentage on the next).

None is an empty cell, never zero. A float is refused (``TypeError``): figures are
Decimals from end to end. When the pack is provisional every table gets a last column
``Status`` holding ``PROVISIONAL`` on every data row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from reports import styles
from reports.cells import TextWriter, excel_datetime, number, one_decimal, text_cell

STATUS_HEADER = "Status"
STATUS_VALUE = "PROVISIONAL"
EXCEL_MAX_ROWS = 1_048_576

_FORMATS = {
    "money": styles.MONEY,
    "rate": styles.RATE,
    "quantity": styles.QUANTITY,
    "decimal": styles.DECIMAL,
    "one_decimal": styles.ONE_DECIMAL,
    "integer": styles.INTEGER,
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    width: float


STATUS_COLUMN = Column(STATUS_HEADER, "text", styles.WIDTH_STATUS)

Writer = Callable[[object], object]


def _number_writer(ws, number_format: str, prepare: Callable[[object], object]) -> Writer:
    cell = WriteOnlyCell(ws)  # one styled template cell per column, reused every row
    cell.number_format = number_format

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


def _any_writer(ws) -> Writer:
    text = TextWriter(ws, styles.WRAP)
    integer = _number_writer(ws, styles.INTEGER, _integer)
    decimal = _number_writer(ws, styles.DECIMAL, number)
    when = _number_writer(ws, styles.DATETIME, excel_datetime)

    def write(value: object) -> object:
        if value is None or isinstance(value, str):
            return text(value)  # type: ignore[arg-type]
        if isinstance(value, dt.datetime):
            return when(value)
        if type(value) is int:
            return integer(value)
        return decimal(value)

    return write


@dataclass(frozen=True)
class Figure:
    """A value whose number format is chosen per row (``figure`` columns)."""

    value: object
    kind: str  # money, percent, count or text


_FIGURE_KINDS = {"money": "money", "percent": "one_decimal", "count": "integer",
                 "text": "text"}


def _figure_writer(ws) -> Writer:
    writers = {kind: _writer(ws, column_kind) for kind, column_kind in _FIGURE_KINDS.items()}

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


def _writer(ws, kind: str) -> Writer:
    if kind == "figure":
        return _figure_writer(ws)
    if kind == "text":
        return TextWriter(ws)  # type: ignore[return-value]
    if kind == "wrap":
        return TextWriter(ws, styles.WRAP)  # type: ignore[return-value]
    if kind == "any":
        return _any_writer(ws)
    if kind == "integer":
        return _number_writer(ws, styles.INTEGER, _integer)
    if kind == "one_decimal":
        return _number_writer(ws, styles.ONE_DECIMAL, one_decimal)
    try:
        return _number_writer(ws, _FORMATS[kind], number)
    except KeyError:
        raise ValueError(f"unknown column kind {kind!r}") from None


def _header_cell(ws, header: str):
    cell = text_cell(ws, header)
    cell.font = styles.HEADER_FONT
    cell.fill = styles.HEADER_FILL
    cell.border = styles.HEADER_BORDER
    cell.alignment = styles.HEADER_ALIGNMENT
    return cell


def _print_setup(ws) -> None:
    """Printed, a table is landscape, one page wide, its header repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


class Table:
    """A sheet of ``workbook`` (write-only) named ``title`` whose header is ``columns``."""

    def __init__(self, workbook, title: str, columns: Sequence[Column], *,
                 provisional: bool) -> None:
        self.title = title
        self._ws = ws = workbook.create_sheet(title)
        shown = [*columns, STATUS_COLUMN] if provisional else list(columns)
        # Widths and the frozen header go before the first row: a write-only sheet
        # writes its top (views, columns) when the first row arrives.
        for index, column in enumerate(shown, 1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        _print_setup(ws)
        self._last_column = get_column_letter(len(shown))
        self._writers = [_writer(ws, column.kind) for column in columns]
        self._status = (STATUS_VALUE,) if provisional else ()
        ws.append([_header_cell(ws, column.header) for column in shown])
        self._rows = 1

    @property
    def worksheet(self):
        """The sheet itself, for what goes beside the table (charts)."""
        return self._ws

    @property
    def rows(self) -> int:
        """Rows written, the header included."""
        return self._rows

    def append(self, values: Sequence[object]) -> None:
        """One data row: ``values`` in the order of the columns (Status excluded)."""
        if self._rows >= EXCEL_MAX_ROWS:
            raise ValueError(f"sheet {self.title!r} is full ({EXCEL_MAX_ROWS} rows)")
        row = [write(value) for write, value in zip(self._writers, values, strict=True)]
        row.extend(self._status)
        self._ws.append(row)
        self._rows += 1

    def finish(self) -> None:
        """The autofilter over the whole table (written when the workbook is saved)."""
        self._ws.auto_filter.ref = f"A1:{self._last_column}{self._rows}"
