"""Issue 12, "Denial of service and unhandled errors" and "Input that is silently wrong", for
import files: each finding as a test. Every refusal names its line (and column when one is to
blame), nothing is stored, and no bad file gets past the reader into a traceback.

The XLSX files that made the reader allocate hundreds of GiB are read in a child process
with its address space capped, so a regression fails this test instead of killing the run.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from chargeback.models import Budget, ImportBatch, MetricObservation, SpendLine, UsageLine
from chargeback.services.importing import import_file
from tests.chargeback import test_importing
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_importing import load

reference = test_importing.reference  # the fixture: units, consumers, services, rates

ROOT = Path(__file__).resolve().parents[2]


def refused(session, kind: str, data: bytes | str, name: str = "", **kwargs):
    """Import ``data``: it must be refused, nothing stored; the result."""
    before = data_fingerprint()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = import_file(session, kind, io.BytesIO(raw), name or f"{kind}.csv", "tester",
                         **kwargs)
    session.commit()
    assert result.status == "refused", result
    assert data_fingerprint() == before
    assert session.get(ImportBatch, result.batch_id).status == "refused"
    return result


# --- periods the database would refuse --------------------------------------------------------


@pytest.mark.parametrize("period", ["0000-01", "1899-12", "3000-01", "9999-12"])
def test_a_period_outside_the_databases_range_is_a_row_error(reference, period):
    """They passed the import's check and hit the database's CHECK: an IntegrityError."""
    message = f"'{period}' is outside the periods kept (1900-01 to 2999-12)"
    for kind, text, column in (
        ("budget", f"period,unit_code,amount\n{period},WW,1.00\n", "period"),
        ("usage", f"period,consumer_code,service_code,quantity\n{period},LAB1,DESK,1\n",
         "period"),
        ("spend", f"period,unit_code,cost_pool,amount\n{period},WW,labor,1.00\n", "period"),
        ("rates", f"service_code,effective_from,price\nDESK,{period},1\n", "effective_from"),
    ):
        result = refused(reference, kind, text)
        assert result.errors == [f"line 2: {column}: {message}"], kind


def test_the_edges_of_the_range_are_periods(reference):
    assert load(reference, "budget", "period,unit_code,amount\n1900-01,WW,1.00\n"
                "2999-12,WW,2.00\n").status == "stored"


# --- CSV structure ----------------------------------------------------------------------------


def test_an_unterminated_quote_is_an_error_at_its_line(reference):
    """The quote swallowed the following rows into one cell: exit 0, "1 spend row imported",
    the next row's 19.00 lost."""
    text = ('period,unit_code,cost_pool,amount,tower,account,description\n'
            '2026-03,WW,labor,10.00,,,"Salaries\n'
            '2026-03,WW,labor,19.00,,,Contractors\n'
            '2026-03,WW,labor,7.00,,,Temps\n')
    result = refused(reference, "spend", text)
    assert len(result.errors) == 1
    assert result.errors[0].startswith("line 2: description: ")
    assert "never closed" in result.errors[0]


def test_a_stray_quote_inside_a_cell_is_an_error_at_its_line(reference):
    text = 'period,unit_code,cost_pool,amount\n2026-03,WW,labor,1.00\n2026-03,WW,"lab"or,2.00\n'
    result = refused(reference, "spend", text)
    assert result.errors[0].startswith("line 3: cost_pool: ")
    assert "quote" in result.errors[0]


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_cell_is_a_row_error(reference, character):
    """A NUL was stored on SQLite and ended in a psycopg traceback on PostgreSQL; the other
    control characters were stored."""
    code = f"U+{ord(character):04X}"
    spend = (f"period,unit_code,cost_pool,amount,tower,account,description\n"
             f"2026-03,WW,labor,1.00,,,ok\n"
             f"2026-03,WW,labor,2.00,,,pay{character}roll\n")
    result = refused(reference, "spend", spend)
    assert result.errors == [f"line 3: description: contains a control character ({code}), "
                             "which is not text: is this a binary file or a broken export?"]
    metrics = f"period,unit_code,measure,value\n2026-03,W{character}W,seats,1\n"
    result = refused(reference, "metrics", metrics)
    assert [e.split(": ")[:2] for e in result.errors] == [["line 2", "unit_code"]]
    assert code in result.errors[0]


def test_a_tab_or_newline_inside_a_quoted_description_is_text(reference):
    text = ('period,unit_code,cost_pool,amount,tower,account,description\n'
            '2026-03,WW,labor,1.00,,,"two\tcolumns\nand two lines"\n')
    assert load(reference, "spend", text).status == "stored"


def test_a_byte_that_is_not_utf8_is_reported_at_its_true_line(reference):
    """It was refused at the wrong line: ``line 1`` for a bad byte on line 2, ``line 613``
    for one on line 702 (the decoder reads ahead of the CSV reader)."""
    rows = [f"2026-03,WW,labor,{n}.00,,,Line {n}" for n in range(2, 702)]
    head = "period,unit_code,cost_pool,amount,tower,account,description\n"
    data = (head + "\n".join(rows) + "\n").encode() + b"2026-03,WW,labor,1.00,,,Caf\xe9\n"
    result = refused(reference, "spend", data)
    assert result.errors == ["line 702: description: is not UTF-8 text (byte 0xE9): save the "
                             "file as UTF-8 (in Excel: CSV UTF-8)"]
    short = b"period,unit_code,amount\n2026-03,W\xffW,1.00\n"
    result = refused(reference, "budget", short)
    assert result.errors[0].startswith("line 2: unit_code: is not UTF-8 text (byte 0xFF)")


def test_a_header_that_is_not_utf8_is_line_1(reference):
    result = refused(reference, "budget", b"p\xe9riod,unit_code,amount\n2026-03,WW,1.00\n")
    assert result.errors == ["line 1: the header is not UTF-8 text (byte 0xE9): save the file "
                             "as UTF-8 (in Excel: CSV UTF-8)"]


def test_a_header_only_file_is_refused_not_stored_as_an_empty_batch(reference, tmp_path):
    result = refused(reference, "usage", "period,consumer_code,service_code,quantity\n")
    assert result.errors == ["line 1: the file has a header but no rows: nothing to import"]
    book = openpyxl.Workbook()
    book.active.append(["period", "unit_code", "amount"])
    path = tmp_path / "budget.xlsx"
    book.save(path)
    result = refused(reference, "budget", path.read_bytes(), "budget.xlsx")
    assert result.errors == ["line 1: the file has a header but no rows: nothing to import"]


def test_an_overlong_line_stops_the_file_at_its_line(reference):
    from chargeback.importing.limits import ImportLimits

    limits = ImportLimits(cell_chars=100)
    text = ("period,unit_code,cost_pool,amount,tower,account,description\n"
            "2026-03,WW,labor,1.00,,,ok\n" + "2026-03,WW,labor,1.00,,," + "x" * 10_000 + "\n")
    result = refused(reference, "spend", text, limits=limits)
    assert result.errors[0].startswith("line 3: ")
    assert "longer than" in result.errors[0]


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["١٢٣", "１２", "1_000", "1e3", "1E3", "-2e-2", "0x10",
                                  "²", "1.5e1", "Infinity", "∞", "12 000"])
def test_numbers_are_plain_decimals_with_ascii_digits(reference, text):
    """Arabic-Indic and full-width digits and ``1_000`` were read as numbers, ``1e3`` as an
    amount of 1000."""
    for kind, file, column in (
        ("budget", f"period,unit_code,amount\n2026-03,WW,{text}\n", "amount"),
        ("spend", f"period,unit_code,cost_pool,amount\n2026-03,WW,labor,{text}\n", "amount"),
        ("usage", f"period,consumer_code,service_code,quantity\n2026-03,LAB1,DESK,{text}\n",
         "quantity"),
        ("metrics", f"period,unit_code,measure,value\n2026-03,WW,seats,{text}\n", "value"),
    ):
        result = refused(reference, kind, file)
        assert len(result.errors) == 1, (kind, result.errors)
        assert result.errors[0].startswith(f"line 2: {column}: '{text}' is not"), result.errors


def test_an_exponent_says_how_to_write_the_number(reference):
    result = refused(reference, "budget", "period,unit_code,amount\n2026-03,WW,1e3\n")
    assert result.errors == ["line 2: amount: '1e3' is not a plain decimal number: write "
                             "1000 (digits 0-9, an optional sign and decimal point)"]


@pytest.mark.parametrize("text", ["1e999999999", "-1e-999999999", "9" * 5000,
                                  "0." + "0" * 5000 + "1", "1e-7", "99999999999999999999"])
def test_numbers_beyond_the_decimal_range_are_row_errors(reference, text):
    """``decimal.Overflow`` tracebacks on an exponent beyond the decimal range."""
    for kind, file, column in (
        ("metrics", f"period,unit_code,measure,value\n2026-03,WW,seats,{text}\n", "value"),
        ("usage", f"period,consumer_code,service_code,quantity\n2026-03,LAB1,DESK,{text}\n",
         "quantity"),
        ("rates", f"service_code,effective_from,price\nDESK,2026-06,{text}\n", "price"),
    ):
        result = refused(reference, kind, file)
        assert len(result.errors) == 1 and result.errors[0].startswith(
            f"line 2: {column}: "), (kind, result.errors)
        assert len(result.errors[0]) < 300  # the value is shortened, never echoed whole


def test_plain_numbers_still_read_exactly(reference):
    assert load(reference, "budget", "period,unit_code,amount\n2026-03,WW,+1234.5\n"
                "2026-04,WW,.25\n2026-05,WW,\"1,234.50\"\n2026-06,WW,7.\n").status == "stored"
    amounts = sorted(reference.scalars(select(Budget.amount)))
    assert amounts == [Decimal("0.25"), Decimal("7"), Decimal("1234.5"), Decimal("1234.50")]
    assert load(reference, "metrics", "period,unit_code,measure,value\n"
                "2026-03,WW,seats,-0.000001\n").status == "stored"
    assert reference.scalar(select(MetricObservation.value)) == Decimal("-0.000001")


def test_a_huge_cell_is_shortened_in_its_error(reference):
    text = "period,unit_code,amount\n2026-03,WW," + "1" * 30_000 + "\n2026-1" + "3" * 30_000 \
        + ",WW,1\n"
    result = refused(reference, "budget", text)
    assert [e[:18] for e in result.errors] == ["line 2: amount: '1", "line 3: period: '2"]
    assert all(len(e) < 300 for e in result.errors)
    assert "(30,000 characters)" in result.errors[0]
    beyond = "period,unit_code,amount\n2026-03,WW,1\n2026-04,WW," + "1" * 40_000 + "\n"
    assert refused(reference, "budget", beyond).errors == [
        "line 3: amount: a cell of 40,000 characters, above the limit of 32,767 "
        "(CHARGEBACK_IMPORT_MAX_CELL_CHARS)"]


# --- XLSX ---------------------------------------------------------------------------------------


def xlsx(tmp_path: Path, sheets: dict[str, list[list]], name="book.xlsx", hidden=()) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    path = tmp_path / name
    book.save(path)
    return path


READ_IN_A_CHILD = textwrap.dedent("""
    import resource, sys
    limit = 1536 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from chargeback.importing.readers import FileFormatError, open_table
    with open(sys.argv[1], "rb") as stream:
        try:
            table = open_table(stream, sys.argv[1])
            rows = sum(1 for _ in table.rows)
        except FileFormatError as exc:
            print("REFUSED", exc)
        else:
            print("READ", rows)
""")


def read_in_a_child(path: Path) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", READ_IN_A_CHILD, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    return done.stdout.strip(), time.monotonic() - started


def test_a_stray_cell_at_xfd1048576_is_refused_before_the_reader_allocates(tmp_path):
    """A 4.9 KB XLSX with one stray cell at XFD1048576 made the reader allocate 512 GiB and
    abort the process (exit 134)."""
    book = openpyxl.Workbook()
    book.active.append(["period", "unit_code", "amount"])
    book.active.append(["2026-03", "WW", 1])
    book.active["XFD1048576"] = "x"
    path = tmp_path / "stray.xlsx"
    book.save(path)
    out, seconds = read_in_a_child(path)
    assert out.startswith("REFUSED line 1: "), out
    assert "XFD1048576" in out and "CHARGEBACK_XLSX_MAX_CELLS" in out
    assert seconds < 30


def test_a_declared_dimension_beyond_the_limits_is_refused(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["period", "unit_code", "amount"])
    path = tmp_path / "declared.xlsx"
    book.save(path)
    _rewrite_sheet(path, lambda xml: xml.replace(b'<dimension ref="A1:C1"/>',
                                                 b'<dimension ref="A1:XFD1048576"/>'))
    out, _ = read_in_a_child(path)
    assert out.startswith("REFUSED line 1: ") and "A1:XFD1048576" in out, out


def test_a_cell_reference_written_another_way_is_still_seen(tmp_path):
    """Single quotes, a namespace prefix, spaces around ``=``: still the cell's reference."""
    book = openpyxl.Workbook()
    book.active.append(["period", "unit_code", "amount"])
    book.active["Z9"] = "x"
    path = tmp_path / "quoted.xlsx"
    book.save(path)
    _rewrite_sheet(path, lambda xml: xml.replace(b'<c r="Z9"', b"<c  r = 'XFD1048576'"))
    out, _ = read_in_a_child(path)
    assert out.startswith("REFUSED line 1: ") and "XFD1048576" in out, out


def _rewrite_sheet(path: Path, change) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {i.filename: source.read(i.filename) for i in source.infolist()}
    parts["xl/worksheets/sheet1.xml"] = change(parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_a_workbook_with_more_rows_than_the_limit_is_refused(reference, tmp_path):
    """A 6 MB XLSX that inflated to 10M rows was imported (402 s, 3.76 GB)."""
    from chargeback.importing.limits import ImportLimits

    rows = [["period", "unit_code", "measure", "value"]] + [
        ["2026-03", "WW", f"m{n}", n] for n in range(300)]
    path = xlsx(tmp_path, {"metrics": rows})
    result = refused(reference, "metrics", path.read_bytes(), "metrics.xlsx",
                     limits=ImportLimits(xlsx_rows=200))
    assert result.errors[0].startswith("line 1: ")
    assert "301 rows" in result.errors[0] and "CHARGEBACK_XLSX_MAX_ROWS" in result.errors[0]


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(reference, tmp_path):
    """A 1.5 MB file holding one 1.5 GB cell peaked at 4.7 GB before its refusal."""
    from chargeback.importing.limits import ImportLimits

    rows = [["period", "unit_code", "cost_pool", "amount", "description"]] + [
        ["2026-03", "WW", "labor", 1, "x" * 1000 + str(n)] for n in range(2000)]
    path = xlsx(tmp_path, {"spend": rows})
    assert path.stat().st_size < 200_000
    result = refused(reference, "spend", path.read_bytes(), "spend.xlsx",
                     limits=ImportLimits(xlsx_bytes=1_000_000))
    assert result.errors[0].startswith("line 1: the workbook unpacks to ")
    assert "CHARGEBACK_XLSX_MAX_BYTES" in result.errors[0]


def test_a_workbook_that_lies_about_its_sizes_is_refused(reference, tmp_path):
    """A part whose declared size is smaller than what it inflates to."""
    rows = [["period", "unit_code", "amount"], ["2026-03", "WW", 1]]
    path = xlsx(tmp_path, {"budget": rows})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        info = book.getinfo("xl/worksheets/sheet1.xml")
    # the central directory's entry (its file name is the last copy of the name): claim
    # that the sheet unpacks to 10 bytes
    central = data.rfind(b"xl/worksheets/sheet1.xml") - 46
    assert data[central:central + 4] == b"PK\x01\x02"
    assert int.from_bytes(data[central + 24:central + 28], "little") == info.file_size
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    result = refused(reference, "budget", bytes(data), "budget.xlsx")
    assert result.errors[0].startswith("line 1: ")


def test_the_visible_sheet_is_read_not_a_hidden_first_one(reference, tmp_path):
    """A hidden first sheet was read instead of the visible one."""
    path = xlsx(tmp_path, {"old": [["period", "unit_code", "amount"], ["2026-03", "WW", 999]],
                           "Budget": [["period", "unit_code", "amount"], ["2026-03", "WW", 5]]},
                hidden=("old",))
    result = import_file(reference, "budget", io.BytesIO(path.read_bytes()), "b.xlsx", "t")
    assert result.status == "stored", result.errors
    assert reference.scalar(select(Budget.amount)) == Decimal("5")


def test_a_sheet_named_after_the_kind_is_read(reference, tmp_path):
    path = xlsx(tmp_path, {"Notes": [["read me first"]],
                           "budget": [["period", "unit_code", "amount"], ["2026-03", "WW", 6]]})
    result = import_file(reference, "budget", io.BytesIO(path.read_bytes()), "b.xlsx", "t")
    assert result.status == "stored", result.errors
    assert reference.scalar(select(Budget.amount)) == Decimal("6")


def test_xlsx_limits_come_from_the_settings(runner, app, tmp_path):
    app.config["CHARGEBACK_XLSX_MAX_ROWS"] = 2
    path = xlsx(tmp_path, {"units": [["code", "name", "parent_code", "service_model"],
                                     ["HQ", "Central IT", None, "operational_excellence"],
                                     ["WW", "Walla Walla", "HQ", "operational_excellence"]]})
    result = runner.invoke(args=["import", "units", str(path)])
    assert result.exit_code == 1, result.output
    assert "line 1: " in result.stderr and "CHARGEBACK_XLSX_MAX_ROWS" in result.stderr
    app.config["CHARGEBACK_XLSX_MAX_ROWS"] = 3
    assert runner.invoke(args=["import", "units", str(path)]).exit_code == 0


def test_a_bulk_import_stores_nothing_after_a_late_hostile_row(reference):
    lines = [f"2026-03,LAB1,DESK,{i}" for i in range(6000)] + ["2026-03,LAB1,DESK,1e3"]
    text = "period,consumer_code,service_code,quantity\n" + "\n".join(lines) + "\n"
    result = refused(reference, "usage", text)
    assert result.errors == ["line 6002: quantity: '1e3' is not a plain decimal number: write "
                             "1000 (digits 0-9, an optional sign and decimal point)"]
    assert reference.scalar(select(func.count()).select_from(UsageLine)) == 0
    assert reference.scalar(select(func.count()).select_from(SpendLine)) == 0
