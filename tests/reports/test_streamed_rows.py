"""Rows written as ready-made XML (``reports.sheets._rows``) are what openpyxl writes.

Every workbook here is written twice, once streamed and once through openpyxl's own
``ws.append`` (``_rows.STREAMED = False``), and the two files must hold the same bytes in
every part (sheets, styles, workbook; the creation time aside). The streamed file is also
read back with openpyxl and with python-calamine, cell by cell, against the values given.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from reports import styles
from reports.cells import clean_text, needs_quote, one_decimal
from reports.pack import write_atomically, write_pack
from reports.sheets import _rows
from reports.sheets._table import Column, Table
from tests.reports.builders import make_pack
from tests.reports.test_cells import RISKY, formula_pack

COLUMNS = (
    Column("Text", "text", 14),
    Column("Wrapped", "wrap", 20),
    Column("Money", "money", 16),
    Column("Rate", "rate", 14),
    Column("Quantity", "quantity", 14),
    Column("Decimal", "decimal", 14),
    Column("Score", "one_decimal", 8),
    Column("Count", "integer", 8),
)
FORMATS = (None, None, styles.MONEY, styles.RATE, styles.QUANTITY, styles.DECIMAL,
           styles.ONE_DECIMAL, styles.INTEGER)

AWKWARD_TEXT = [
    *RISKY, "-", "@", "héllo €", "日本語のテキスト", "emoji \U0001f600 and \u00a0", " spaced ",
    "trailing ", "a&b<c>\"'", "]]>", "#N/A", "#REF!", "#DIV/0!", "", None, "line\nbreak",
    "tab\tinside", "ctl\x00\x1fchars", "2026-01-31", "=", "x" * 40_000, "\u200b", "TRUE",
    "1.5", "0012",
]
AWKWARD_NUMBERS = [
    D("1.234567890123456789012345678"), D("-0.01"), D("-1234567.89"), 0, -7, D("1E+20"),
    D("0E-10"), None, 2**60, D("84.8499999999999999"), D("-0"), D("123456789012345.678"),
    D("0.000001"), 1,
]


def awkward_rows() -> list[tuple]:
    rows = []
    numbers = AWKWARD_NUMBERS
    for i, text in enumerate(AWKWARD_TEXT):
        n = [numbers[(i + k) % len(numbers)] for k in range(6)]
        count = n[5] if n[5] is None or type(n[5]) is int else i - 10
        rows.append((text, AWKWARD_TEXT[-1 - i], *n[:5], count))
    return rows


def _write(path: Path, monkeypatch, streamed: bool, fill) -> Path:
    monkeypatch.setattr(_rows, "STREAMED", streamed)
    return write_atomically(path, fill)


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()
                if name != "docProps/core.xml"}  # it holds the time of writing


def assert_same_files(streamed: Path, plain: Path) -> None:
    ours, theirs = _parts(streamed), _parts(plain)
    assert list(ours) == list(theirs)
    for name in ours:
        assert ours[name] == theirs[name], name


def both(tmp_path: Path, monkeypatch, fill) -> Path:
    """Write ``fill`` streamed and plain, check the files are the same; the streamed one."""
    streamed = _write(tmp_path / "streamed.xlsx", monkeypatch, True, fill)
    plain = _write(tmp_path / "plain.xlsx", monkeypatch, False, fill)
    assert_same_files(streamed, plain)
    return streamed


def table_fill(rows, *, provisional=False, totals=(), last=None, tables=1):
    def fill(workbook):
        for n in range(tables):
            table = Table(workbook, f"T{n + 1}", COLUMNS, provisional=provisional,
                          totals=totals)
            for row in rows:
                table.append(row)
            table.finish(last=last)
    return fill


def test_lxml_is_there_so_tables_stream(tmp_path, monkeypatch):
    """Not a vacuous comparison: the data rows do go through the stream."""
    assert _rows.STREAMED
    sent = []
    original = _rows.RowStream.write
    monkeypatch.setattr(_rows.RowStream, "write",
                        lambda self, xml: (sent.append(xml), original(self, xml))[1])
    write_atomically(tmp_path / "t.xlsx", table_fill(awkward_rows()))
    assert len(sent) == len(AWKWARD_TEXT)
    assert sent[0].startswith('<row r="2"')


@pytest.mark.parametrize("provisional", [False, True])
@pytest.mark.parametrize("closing", ["none", "totals", "last"])
def test_awkward_rows_are_written_as_openpyxl_writes_them(tmp_path, monkeypatch,
                                                          provisional, closing):
    rows = awkward_rows()
    last = ("Unit attainment", "=last", D("1.5"), None, None, None, D("84.85"), 3)
    fill = table_fill(rows, provisional=provisional, tables=2,
                      totals=("Money",) if closing == "totals" else (),
                      last=last if closing == "last" else None)
    path = both(tmp_path, monkeypatch, fill)
    _read_back_with_openpyxl(path, rows, provisional)
    _read_back_with_calamine(path, rows)


def _expected_text(value):
    if value is None or value == "":
        return None
    return clean_text(value)[:_rows.TEXT_LIMIT]


def _expected_number(kind_index: int, value):
    if value is None:
        return None
    return float(one_decimal(value) if kind_index == 6 else value)


def _read_back_with_openpyxl(path: Path, rows, provisional: bool) -> None:
    ws = load_workbook(path)["T1"]
    assert [c.value for c in ws[1]] == [c.header for c in COLUMNS] + (
        ["Status"] if provisional else [])
    for number, row in enumerate(rows, 2):
        cells = ws[number]
        for index, value in enumerate(row):
            cell = cells[index]
            if index < 2:
                text = _expected_text(value)
                assert cell.value == text, (number, index)
                if text is not None:
                    assert cell.data_type == "s"  # never a formula, nor an error value
                    assert bool(cell.quotePrefix) == needs_quote(text)
                    assert bool(cell.alignment.wrap_text) == (index == 1)
            else:
                expected = _expected_number(index, value)
                assert (None if cell.value is None else float(cell.value)) == (
                    pytest.approx(expected, rel=1e-15) if expected else expected)
                if value is not None:
                    assert cell.data_type == "n"
                    assert cell.number_format == FORMATS[index]
        if provisional:
            assert cells[len(COLUMNS)].value == "PROVISIONAL"


def _read_back_with_calamine(path: Path, rows) -> None:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("T2").to_python(
        skip_empty_area=False)
    for number, row in enumerate(rows, 1):
        for index, value in enumerate(row):
            read = sheet[number][index] if index < len(sheet[number]) else ""
            if index < 2:
                assert read == (_expected_text(value) or ""), (number, index)
            else:
                expected = _expected_number(index, value)
                assert (float(read) if read != "" else None) == (
                    pytest.approx(expected, rel=1e-15) if expected else expected)


@pytest.mark.parametrize("status", ["final", "provisional"])
def test_a_whole_pack_is_the_same_streamed_or_not(tmp_path, monkeypatch, status):
    """Every sheet: Cover and Summary (written by openpyxl either way), the streamed
    tables, the totals rows, unit sheets with tall wrapped rows, charts, styles."""
    for name, streamed in (("streamed.xlsx", True), ("plain.xlsx", False)):
        monkeypatch.setattr(_rows, "STREAMED", streamed)
        write_pack(make_pack(status=status), tmp_path / name)
    assert_same_files(tmp_path / "streamed.xlsx", tmp_path / "plain.xlsx")


def test_a_pack_of_risky_text_is_the_same_streamed_or_not(tmp_path, monkeypatch):
    for name, streamed in (("streamed.xlsx", True), ("plain.xlsx", False)):
        monkeypatch.setattr(_rows, "STREAMED", streamed)
        write_pack(formula_pack(), tmp_path / name)
    assert_same_files(tmp_path / "streamed.xlsx", tmp_path / "plain.xlsx")


@pytest.mark.parametrize(("row", "error"), [
    (("a", "b", 1.5, None, None, None, None, None), TypeError),  # a float
    (("a", "b", "1.50", None, None, None, None, None), TypeError),  # text as money
    (("a", "b", None, None, None, None, None, D("2")), TypeError),  # Decimal as integer
    (("a", "b", None, None, None, None, None, True), TypeError),  # a bool
    ((5, "b", None, None, None, None, None, None), TypeError),  # a number as text
    (("a", "b", dt.date(2026, 1, 31), None, None, None, None, None), TypeError),
    (("a", "b", D("NaN"), None, None, None, None, None), ValueError),
    (("a", "b", D("Infinity"), None, None, None, None, None), ValueError),
    (("a", "b", None), ValueError),  # too few values
    (("a", "b", *[None] * 6, "c"), ValueError),  # too many
])
@pytest.mark.parametrize("streamed", [True, False])
def test_bad_values_are_refused_alike(tmp_path, monkeypatch, row, error, streamed):
    with pytest.raises(error):
        _write(tmp_path / "t.xlsx", monkeypatch, streamed, table_fill([row]))
    assert not (tmp_path / "t.xlsx").exists()


texts = st.one_of(st.none(), st.text(max_size=12),
                  st.sampled_from(["=1", "+", "-2", "@a", " x ", "#N/A", "é"]))
decimals = st.one_of(st.none(), st.integers(-10**18, 10**18),
                     st.decimals(allow_nan=False, allow_infinity=False, places=None))
awkward = st.tuples(texts, texts, decimals, decimals, decimals, decimals, decimals,
                    st.one_of(st.none(), st.integers(-10**18, 10**18)))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(awkward, min_size=1, max_size=6), provisional=st.booleans())
def test_any_rows_are_written_as_openpyxl_writes_them(tmp_path, monkeypatch, rows,
                                                      provisional):
    """Random text (XML-illegal characters included) and numbers: the same bytes, or the
    same refusal."""
    fill = table_fill(rows, provisional=provisional, totals=("Money",))
    outcomes = []
    for streamed in (True, False):
        path = tmp_path / f"{streamed}.xlsx"
        try:
            _write(path, monkeypatch, streamed, fill)
        except (TypeError, ValueError, ArithmeticError) as exc:
            # ArithmeticError: a Decimal beyond the context's precision (decimal's
            # InvalidOperation) is refused by both paths alike, never written half.
            outcomes.append(type(exc))
        else:
            outcomes.append(_parts(path))
    assert outcomes[0] == outcomes[1]
