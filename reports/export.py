"""Downloads of what a page shows: tables as CSV text or as an XLSX workbook.

A download is one or more ``Section``s, each a title, the pack's ``Column``s (header and
kind) and rows of values (Decimals, ints, text, datetimes, None). The XLSX writes each
section as a sheet through the pack's own ``Table``: the same number formats, text that is
never a formula (``cells.TextWriter``: a quote prefix where a spreadsheet could take it for
one), a frozen header and a filter. The CSV writes a one-section download as a plain
table; several sections follow one another, each under a line holding its title and
separated by an empty line. Numbers are written as the page and the pack show them: money
with two decimals, ``one_decimal`` columns rounded half-up to one, quantities and rates in
full; text goes through ``csv_text``, the pack's formula rule applied to CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook

from reports.cells import legal_sheet_names, needs_quote
from reports.sheets._table import Column, Table

PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
CENT = Decimal("0.01")
EXCEL_TEXT_LIMIT = 32_767
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Section:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]


def csv_text(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet never runs: text that it could take for a
    formula (the pack's rule, ``cells.needs_quote``: starting with ``=``, ``+``, ``-``,
    ``@``, their full-width forms, a tab or a line break, or blanks then one of
    ``= + - @``) gets a leading apostrophe, as OWASP advises for CSV. A plain number
    (``-12.50``) is left as it is: a spreadsheet reads it as the number it is."""
    if value and needs_quote(value) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def cell_text(value: object, kind: str) -> str:
    """A value as the CSV holds it: see the module's docstring."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | int) and kind == "money":
        return format(Decimal(value).quantize(CENT, ROUND_HALF_UP), "f")
    if isinstance(value, Decimal | int) and kind == "one_decimal":
        return format(Decimal(value).quantize(TENTH, ROUND_HALF_UP), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        raise TypeError(f"a float cannot be exported exactly: {value!r}")
    return csv_text(str(value))


def csv_lines(sections: Sequence[Section]) -> Iterator[list[str]]:
    """The CSV's lines, each a list of cells ready for ``csv.writer``."""
    several = len(sections) > 1
    for number, section in enumerate(sections):
        if several:
            if number:
                yield []
            yield [csv_text(section.title)]
        kinds = [column.kind for column in section.columns]
        yield [column.header for column in section.columns]
        for row in section.rows:
            yield [cell_text(value, kind) for value, kind in zip(row, kinds, strict=True)]


def csv_bytes(sections: Sequence[Section]) -> bytes:
    """The whole CSV, UTF-8 with a byte order mark (Excel then reads it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_lines(sections))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sections: Sequence[Section]) -> bytes:
    """The workbook: one sheet per section, named after it (made legal and distinct)."""
    workbook = Workbook(write_only=True)
    titles = legal_sheet_names([section.title for section in sections])
    for section, title in zip(sections, titles, strict=True):
        table = Table(workbook, title, section.columns, provisional=False)
        for row in section.rows:
            table.append([_excel_value(value) for value in row])
        table.finish()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel_value(value: object) -> object:
    if isinstance(value, str) and len(value) > EXCEL_TEXT_LIMIT:
        return value[:EXCEL_TEXT_LIMIT - 1] + "\u2026"  # a cell holds 32,767 characters
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S")  # a text column: no time zone doubts
    return value


def text_columns(*headers: str, width: float = 16) -> tuple[Column, ...]:
    """Columns of text, for tables that hold no figures."""
    return tuple(Column(header, "text", width) for header in headers)
