"""The Statements sheet of the pack and a consumer's statement workbook, read back by header
name, with figures worked by hand."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal as D

import pytest

from reports.pack import write_pack
from reports.statement import (
    ConsumerStatement,
    StatementLine,
    file_code,
    statement_filename,
    statement_filenames,
    subtotals,
    totals,
    write_statement,
)
from tests.reports.builders import FORMULA_NAME, make_pack
from tests.reports.readback import headers, load, table, values

STATEMENTS = ["Consumer", "Name", "GL account", "Billed", "Showback", "Total", "Prior total",
              "Change"]


# --- the pack's Statements sheet -----------------------------------------------------------


@pytest.fixture
def book(tmp_path):
    return load(write_pack(make_pack(), tmp_path / "chargeback-2026-03.xlsx"))


def test_statements_comes_after_the_management_sheets(book):
    assert book.sheetnames[:6] == ["Cover", "Summary", "Why they differ", "Trend", "Statements",
                                   "Portfolio"]
    assert headers(book["Statements"]) == STATEMENTS
    cover = {r["Item"]: r["Value"] for r in values(book["Cover"])}
    assert "Prior total" in cover["Sheet Statements"]


def d(value) -> D | None:
    """A number cell read back (a double) as the decimal it shows; None stays None."""
    return None if value is None else D(str(value))


def figures(row: dict, *names: str) -> tuple:
    return tuple(d(row[name]) for name in names)


def test_statement_rows_by_header_name(book):
    rows = {r["Consumer"]: r for r in values(book["Statements"])}
    assert list(rows) == ["LAB1", "LAB2", "PLANT"]
    lab1, lab2, plant = rows["LAB1"], rows["LAB2"], rows["PLANT"]
    # LAB1: billed 45,123.46 by WW, nothing shown back; March 40,000.00 -> +5,123.46
    assert figures(lab1, "Billed", "Showback", "Total", "Prior total", "Change") == (
        D("45123.46"), 0, D("45123.46"), 40000, D("5123.46"))
    # LAB2: 89,400.00 shown back by ALT (a showback unit); 90,000.00 before -> -600.00
    assert figures(lab2, "Billed", "Showback", "Total", "Prior total", "Change") == (
        0, 89400, 89400, 90000, -600)
    # PLANT is new: no prior total, no change (empty cells, never 0)
    assert d(plant["Total"]) == D("6476.54")
    assert plant["Prior total"] is None and plant["Change"] is None
    assert lab2["Name"] == "Lab two" and lab2["GL account"] == "6100-LAB2"


def test_statement_cells_are_numbers_and_text_is_never_a_formula(book):
    rows = {r["Consumer"].value: r for r in table(book["Statements"])}
    for name in ("Billed", "Showback", "Total", "Prior total", "Change"):
        cell = rows["LAB1"][name]
        assert cell.data_type == "n" and cell.number_format == "#,##0.00", name
    plant = rows["PLANT"]
    assert plant["Name"].value == FORMULA_NAME and plant["Name"].data_type == "s"
    assert plant["Name"].quotePrefix and plant["GL account"].quotePrefix
    assert plant["GL account"].value == "-6100-PLANT"


def test_statement_row_totals_come_from_billed_and_showback():
    from reports.model import StatementRow

    row = StatementRow(consumer="X", name="X", gl_account="1", billed=D("0.10"),
                       showback=D("0.20"), prior_total=D("0.30"))
    assert row.total == D("0.30") and row.change == D("0.00")
    assert replace(row, prior_total=None).change is None


def test_a_provisional_pack_marks_its_statements(tmp_path):
    book = load(write_pack(make_pack(status="provisional"), tmp_path / "p.xlsx"))
    assert headers(book["Statements"]) == [*STATEMENTS, "Status"]
    assert {r["Status"] for r in values(book["Statements"])} == {"PROVISIONAL"}


# --- a consumer's statement workbook -------------------------------------------------------


def line(**kw) -> StatementLine:
    base = dict(unit="DC", unit_name="Data Center", service=None, service_name=None,
                method="driver", basis="pool unrecovered by headcount", quantity=D("1"),
                rate=None, amount=D("0.00"), billing_mode="chargeback")
    base.update(kw)
    return StatementLine(**base)


def lab1_statement(**changes) -> ConsumerStatement:
    """LAB1 in the end-to-end company's March: DC 200.00 of compute (3,333.333 core-hours
    at 0.06) and 66.67 of its unrecovered cost, ALT 30,200.00 by headcount, and LAB's
    1,000.00 of prototype engineering, shown back."""
    statement = ConsumerStatement(
        period="2026-03", revision=2, currency="USD",
        closed_at=dt.datetime(2026, 4, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        seal="ab" * 32, consumer="LAB1", name="Materials lab", gl_account="6100-001",
        unit=None, lines=(
            line(unit="ALT", unit_name="Altoona R&D Computing", basis="pool all by headcount",
                 amount=D("30200.00")),
            line(service="CPU", service_name="Compute", method="usage", basis="core-hour",
                 quantity=D("3333.333"), rate=D("0.06"), amount=D("200.00")),
            line(amount=D("66.67")),
            line(unit="LAB", unit_name="=Innovation Lab", service="PROTO",
                 service_name="Prototype engineering", method="usage", basis="project-hour",
                 quantity=D("10"), rate=D("100"), amount=D("1000.00"),
                 billing_mode="showback"),
        ))
    return replace(statement, **changes) if changes else statement


@pytest.fixture
def statement_book(tmp_path):
    return load(write_statement(lab1_statement(), tmp_path / "statement.xlsx"))


def test_statement_sheets_and_headers(statement_book):
    assert statement_book.sheetnames == ["Statement", "By unit", "Charges"]
    assert headers(statement_book["Statement"]) == ["Item", "Value"]
    assert headers(statement_book["By unit"]) == ["Unit", "Unit name", "Billing mode",
                                                  "Charge lines", "Billed", "Showback", "Total"]
    assert headers(statement_book["Charges"]) == ["Unit", "Unit name", "Service",
                                                  "Service name", "Method", "Basis",
                                                  "Quantity", "Rate", "Amount", "Billing mode"]
    for ws in statement_book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"


def test_statement_header_block_and_totals_to_the_cent(statement_book):
    items = {r["Item"]: r["Value"] for r in values(statement_book["Statement"])}
    assert items["Consumer"] == "LAB1" and items["Name"] == "Materials lab"
    assert items["GL account"] == "6100-001" and items["Unit"] is None
    assert (items["Period"], items["Currency"], items["Revision"]) == ("2026-03", "USD", 2)
    assert items["Closed at"] == dt.datetime(2026, 4, 3, 6, 0)  # 08:00+02:00 in UTC
    assert items["Seal"] == "ab" * 32
    assert d(items["Billed"]) == D("30466.67")  # 30,200.00 + 200.00 + 66.67
    assert d(items["Showback"]) == 1000
    assert d(items["Total"]) == D("31466.67")
    assert items["Charge lines"] == 4
    for title in statement_book.sheetnames:
        assert items[f"Sheet {title}"]


def test_statement_subtotals_by_unit(statement_book):
    rows = {r["Unit"]: r for r in values(statement_book["By unit"])}
    assert list(rows) == ["ALT", "DC", "LAB"]  # as the lines come
    assert figures(rows["ALT"], "Charge lines", "Billed", "Showback", "Total") == (
        1, 30200, 0, 30200)
    assert figures(rows["DC"], "Charge lines", "Billed", "Showback", "Total") == (
        2, D("266.67"), 0, D("266.67"))
    assert figures(rows["LAB"], "Charge lines", "Billed", "Showback", "Total") == (
        1, 0, 1000, 1000)
    assert rows["LAB"]["Billing mode"] == "showback"
    assert sum(D(str(r["Total"])) for r in rows.values()) == D("31466.67")


def test_statement_lines_as_given_with_number_cells(statement_book):
    rows = table(statement_book["Charges"])
    assert [(r["Unit"].value, r["Service"].value, r["Method"].value) for r in rows] == [
        ("ALT", None, "driver"), ("DC", "CPU", "usage"), ("DC", None, "driver"),
        ("LAB", "PROTO", "usage")]
    cpu = rows[1]
    assert d(cpu["Quantity"].value) == D("3333.333")
    assert cpu["Quantity"].number_format == "#,##0.00####"
    assert d(cpu["Rate"].value) == D("0.06") and cpu["Rate"].number_format == "0.000000"
    assert d(cpu["Amount"].value) == 200 and cpu["Amount"].number_format == "#,##0.00"
    assert all(r["Amount"].data_type == "n" for r in rows)
    assert rows[0]["Rate"].value is None  # a split has no rate: empty, never 0
    lab = rows[3]
    assert lab["Unit name"].value == "=Innovation Lab"
    assert lab["Unit name"].data_type == "s" and lab["Unit name"].quotePrefix


def test_an_empty_statement_still_has_every_table(tmp_path):
    book = load(write_statement(lab1_statement(lines=()), tmp_path / "e.xlsx"))
    items = {r["Item"]: r["Value"] for r in values(book["Statement"])}
    assert (items["Billed"], items["Showback"], items["Total"], items["Charge lines"]) == (
        0, 0, 0, 0)
    assert book["By unit"].max_row == 1 and book["Charges"].max_row == 1


def test_totals_and_subtotals_are_exact_decimals():
    statement = lab1_statement()
    assert totals(statement) == (D("30466.67"), D("1000.00"))
    assert [(u.unit, u.lines, u.total) for u in subtotals(statement)] == [
        ("ALT", 1, D("30200.00")), ("DC", 2, D("266.67")), ("LAB", 1, D("1000.00"))]


def test_a_failed_statement_leaves_the_earlier_file_and_no_half_file(tmp_path):
    target = tmp_path / "statement-2026-03-LAB1.xlsx"
    write_statement(lab1_statement(), target)
    before = target.read_bytes()
    bad = lab1_statement(lines=(line(amount=D("1.00")), line(amount=1.5)))  # a float
    with pytest.raises(TypeError):
        write_statement(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_failure_mid_write_leaves_no_file(tmp_path, monkeypatch):
    """A failure after some rows went to disk (the Charges sheet) leaves nothing."""
    from reports.sheets import _table

    real = _table.Table.append
    calls = {"n": 0}

    def failing(self, row):
        calls["n"] += 1
        if self.title == "Charges" and calls["n"] > 20:
            raise OSError("disk full")
        real(self, row)

    monkeypatch.setattr(_table.Table, "append", failing)
    with pytest.raises(OSError):
        write_statement(lab1_statement(), tmp_path / "new.xlsx")
    assert list(tmp_path.iterdir()) == []


# --- file names ----------------------------------------------------------------------------


def test_statement_file_names():
    assert statement_filename("2026-03", 1, "LAB1") == "statement-2026-03-LAB1.xlsx"
    assert statement_filename("2026-03", 2, "LAB1") == "statement-2026-03-r2-LAB1.xlsx"
    assert re.fullmatch(r"statement-2026-03-A_B-[0-9a-f]{8}\.xlsx",
                        statement_filename("2026-03", 1, "A/B"))
    assert file_code("A/B") != file_code("A_B") == "A_B"
    assert file_code("..").startswith("_-") and not file_code(".x").startswith(".")
    assert len(file_code("x" * 200)) == 64 + 9
    with pytest.raises(ValueError):
        statement_filename("2026-3", 1, "LAB1")
    with pytest.raises(ValueError):
        statement_filename("2026-03", 0, "LAB1")


def test_file_names_in_one_folder_differ_ignoring_case():
    names = statement_filenames("2026-03", 1, ["LAB1", "lab1", "LAB2", "A/B", "A?B"])
    assert names["LAB2"] == "statement-2026-03-LAB2.xlsx"
    folded = [n.casefold() for n in names.values()]
    assert len(set(folded)) == len(folded) == 5
    assert names["LAB1"] != "statement-2026-03-LAB1.xlsx"  # clashes with lab1: digests
