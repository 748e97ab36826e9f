"""The pack read back by header name: sheets, headers, number cells, formats, figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from reports import styles
from reports.pack import pack_filename, write_pack
from tests.reports.builders import FORMULA_NAME, make_pack
from tests.reports.readback import closing, headers, load, shown, table, values

PORTFOLIO = ["Unit", "Name", "Parent", "Level", "Group", "Service model", "Billing mode",
             "Spend", "Budget", "Variance", "Variance %", "Charged", "Showback",
             "Recovery %", "Absorbed", "Internal eliminated", "Attainment", "Band",
             "Own attainment", "Own band", "YTD spend", "YTD budget", "YTD variance",
             "Prior spend", "Prior attainment", "Exceeds", "Meets", "Watch", "Below",
             "Unrated"]
SUMMARY = ["Section", "Unit", "Name", "Figure", "Value", "Before", "Change", "Detail"]
WHY = ["Group", "Unit", "Name", "Service model", "Weighs most", "Spend", "Budget", "Variance",
       "Attainment", "Band", "Cost per unit", "Explanation", "Main service", "Unit of measure",
       "Quantity", "Meets from", "Exceeds from"]
TREND = ["Period", "Unit", "Name", "Spend", "Budget", "Variance", "Variance %", "Charged",
         "Attainment", "Band"]
CHARGES = ["Unit", "Service", "Consumer", "Consumer name", "Method", "Basis", "Billing mode",
           "Quantity", "Rate", "Amount"]
JOURNAL = ["Journal", "Period", "Unit", "Account", "Consumer", "Description", "Debit",
           "Credit", "Currency"]
UNIT = ["Criterion", "Label", "Expression", "Actual", "Target", "Floor", "Bands", "Direction",
        "Method", "Weight", "Score", "Note", "Explanation"]
STATEMENTS = ["Consumer", "Name", "GL account", "Billed", "Showback", "Total", "Prior total",
              "Change"]
EXPECTED = {"Cover": ["Item", "Value"], "Summary": SUMMARY, "Why they differ": WHY,
            "Trend": TREND, "Statements": STATEMENTS, "Portfolio": PORTFOLIO,
            "Charges": CHARGES, "Journal": JOURNAL, "WW": UNIT, "ALT": UNIT}


@pytest.fixture
def book(pack, tmp_path):
    return load(write_pack(pack, tmp_path / "chargeback-2026-03.xlsx"))


def by_unit(ws) -> dict[str, dict]:
    return {row["Unit"].value: row for row in table(ws)}


def test_sheets_in_order(book):
    assert book.sheetnames == ["Cover", "Summary", "Why they differ", "Trend", "Statements", "Portfolio",
                               "Charges", "Journal", "WW", "ALT"]


CLOSED = {"Charges": "Total", "Journal": "Total", "WW": "Unit attainment",
          "ALT": "Unit attainment"}  # the sheets that end with a closing row


def test_every_table_has_its_header_in_row_1_frozen_filtered_bold(book):
    for ws in book.worksheets:
        assert headers(ws) == EXPECTED[ws.title], ws.title
        assert ws.freeze_panes == "A2"
        last = ws.cell(row=1, column=ws.max_column).column_letter
        end = closing(ws)
        assert (end and end[headers(ws)[0]].value) == CLOSED.get(ws.title), ws.title
        # the filter covers the header and the data rows, not the closing row
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row - (1 if end else 0)}"
        assert all(cell.font.b for cell in ws[1])
        assert all(ws.column_dimensions[c.column_letter].width > 5 for c in ws[1])


def test_returns_the_path_and_leaves_nothing_else(pack, tmp_path):
    path = tmp_path / "out.xlsx"
    assert write_pack(pack, path) == path
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_portfolio_numbers_are_number_cells_with_formats(book):
    rows = by_unit(book["Portfolio"])
    assert list(rows) == ["HOLD", "RD", "WW", "ALT"]
    ww = rows["WW"]
    for header, fmt in [("Spend", styles.MONEY), ("Charged", styles.MONEY),
                        ("Absorbed", styles.MONEY), ("Internal eliminated", styles.MONEY),
                        ("Recovery %", "0.0"), ("Attainment", "0.0"), ("Level", "0")]:
        assert ww[header].data_type == "n", header
        assert ww[header].number_format == fmt, header
    assert D(str(ww["Spend"].value)) == D("50000.00")
    assert ww["Recovery %"].value == pytest.approx(103.2)  # the percentage, not 1.032
    assert ww["Budget"].value is None  # no budget: an empty cell, not 0
    assert ww["Level"].value == 2 and ww["Group"].value == "no"
    assert ww["Parent"].value == "RD" and rows["HOLD"]["Parent"].value is None


def test_attainment_rounds_half_up_to_the_worked_example(book):
    rows = by_unit(book["Portfolio"])
    assert shown(rows["WW"]["Attainment"].value) == D("80.8")
    assert rows["WW"]["Attainment"].value != pytest.approx(80.8)  # unrounded in the cell
    assert shown(rows["ALT"]["Attainment"].value) == D("87.0")
    assert shown(rows["RD"]["Attainment"].value) == D("84.8")
    assert rows["WW"]["Band"].value == "meets" and rows["ALT"]["Band"].value == "meets"
    assert shown(rows["ALT"]["Recovery %"].value) == D("99.3")


def test_band_counts_are_filled_for_groups_only(book):
    rows = by_unit(book["Portfolio"])
    rd = rows["RD"]
    assert rd["Group"].value == "yes"
    counts = {b: rd[b].value for b in ("Exceeds", "Meets", "Watch", "Below", "Unrated")}
    assert counts == {"Exceeds": 0, "Meets": 2, "Watch": 0, "Below": 0, "Unrated": 1}
    assert rd["Meets"].number_format == "0"
    assert rows["HOLD"]["Meets"].value == 2 and rows["HOLD"]["Below"].value == 0
    assert rd["Own attainment"].value is None and rd["Own band"].value == "unrated"
    assert all(rows["WW"][b].value is None for b in counts)


def test_unit_sheet_criteria_and_the_not_rated_one(book):
    rows = {r["Criterion"].value: r for r in table(book["WW"])}
    assert list(rows) == ["cost_per_seat", "availability", "first_day_fix", "tickets"]
    cost = rows["cost_per_seat"]
    assert cost["Expression"].value == "desktop_spend / seats"
    assert (cost["Actual"].value, cost["Target"].value, cost["Floor"].value) == (50, 45, 65)
    assert cost["Weight"].value == 3 and cost["Weight"].data_type == "n"
    assert cost["Score"].value == 75 and cost["Score"].number_format == "0.0"
    assert cost["Direction"].value == "lower" and cost["Method"].value == "linear"
    assert rows["first_day_fix"]["Floor"].value is None
    tickets = rows["tickets"]
    assert tickets["Score"].value is None
    assert tickets["Note"].value == "missing measure tickets"
    on_budget = {r["Criterion"].value: r for r in table(book["ALT"])}["on_budget"]
    assert on_budget["Bands"].value == "1.00 -> 100; 1.05 -> 70; 1.10 -> 40"
    assert shown(on_budget["Actual"].value, "0.0001") == D("1.0227")
    assert on_budget["Actual"].number_format == styles.DECIMAL


def test_charges_rows_formats_and_showback(book):
    rows = table(book["Charges"])
    assert [r["Consumer"].value for r in rows] == ["LAB1", "PLANT", "LAB2"]
    usage, driver, showback = rows
    assert usage["Quantity"].number_format == styles.QUANTITY
    assert usage["Rate"].number_format == "0.000000"
    assert D(str(usage["Rate"].value)) == D("45.123456")
    assert usage["Amount"].number_format == "#,##0.00"
    assert D(str(usage["Amount"].value)) == D("45123.46")
    assert driver["Service"].value is None and driver["Rate"].value is None
    assert driver["Consumer name"].value == FORMULA_NAME
    assert showback["Billing mode"].value == "showback" and showback["Method"].value == "fixed"
    assert showback["Quantity"].value is None
    assert D(str(showback["Amount"].value)) == D("89400.00")


def test_journal_rows(book):
    rows = values(book["Journal"])
    assert len(rows) == 3
    assert rows[0] == {"Journal": "CB-2026-03", "Period": "2026-03", "Unit": "WW",
                       "Account": "6100-LAB1", "Consumer": "LAB1",
                       "Description": "IT charges WW -> LAB1", "Debit": 45123.46,
                       "Credit": 0, "Currency": "USD"}
    assert rows[2]["Consumer"] is None and rows[2]["Credit"] == 51600
    debit = table(book["Journal"])[0]["Debit"]
    assert debit.data_type == "n" and debit.number_format == styles.MONEY
    assert sum(D(str(r["Debit"])) for r in rows) == sum(D(str(r["Credit"])) for r in rows)


def test_cover(book):
    items = {r["Item"]: r["Value"] for r in values(book["Cover"])}
    assert items["Period"] == "2026-03"
    assert items["Status"] == "final"
    assert items["Revision"] == 1
    assert items["Generated at"] == dt.datetime(2026, 4, 2, 7, 30)  # 09:30+02:00 in UTC
    assert items["Currency"] == "USD"
    assert items["Charge lines"] == 3
    assert items["Scorecard WW"] == "version 2, effective from 2026-01"
    assert items["Scorecard ALT"] == "version 1, effective from 2026-02"
    assert items["Note 1"].startswith("External spend")
    assert items["Note 2"] == "+ internal charges eliminated"
    for title in book.sheetnames:
        assert items[f"Sheet {title}"], title
    assert "Status" not in headers(book["Cover"])
    revision = table(book["Cover"])[2]["Value"]
    assert revision.data_type == "n" and revision.number_format == "0"


def test_provisional_pack_says_so_on_every_sheet(tmp_path):
    book = load(write_pack(make_pack(status="provisional"), tmp_path / "p.xlsx"))
    for ws in book.worksheets:
        assert headers(ws) == [*EXPECTED[ws.title], "Status"], ws.title
        rows = values(ws)
        assert rows, ws.title
        assert {r["Status"] for r in rows} == {"PROVISIONAL"}, ws.title
    items = {r["Item"]: r["Value"] for r in values(book["Cover"])}
    assert items["Status"] == "provisional"
    assert "PROVISIONAL" in items["Sheet Cover"]


def test_final_pack_has_no_status_column(book):
    for ws in book.worksheets:
        assert "Status" not in headers(ws)


def test_empty_month_still_has_every_table(tmp_path):
    pack = make_pack(charges=iter(()), journal=(), scorecards=(), notes=())
    book = load(write_pack(pack, tmp_path / "e.xlsx"))
    assert book.sheetnames == ["Cover", "Summary", "Why they differ", "Trend", "Statements",
                               "Portfolio", "Charges", "Journal"]
    assert headers(book["Charges"]) == CHARGES and table(book["Charges"]) == []
    for title, column in (("Charges", "Amount"), ("Journal", "Debit")):
        total = closing(book[title])  # no rows to add up: a plain 0, not an empty range
        assert total[headers(book[title])[0]].value == "Total"
        assert total[column].value == 0 and total[column].data_type == "n"
    assert {r["Item"]: r["Value"] for r in values(book["Cover"])}["Charge lines"] == 0


def test_floats_are_refused(tmp_path):
    bad = make_pack(journal=(make_pack().journal[0].__class__(
        journal="J", period="2026-03", unit="WW", account="A", consumer=None,
        description="d", debit=1.5, credit=D(0), currency="USD"),))
    with pytest.raises(TypeError, match="Decimal or int expected"):
        write_pack(bad, tmp_path / "f.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_unknown_status_is_refused(tmp_path):
    with pytest.raises(ValueError, match="status"):
        write_pack(make_pack(status="draft"), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("period", "revision", "name"), [
    ("2026-03", 1, "chargeback-2026-03.xlsx"),
    ("2026-03", 2, "chargeback-2026-03-r2.xlsx"),
    ("2025-12", 11, "chargeback-2025-12-r11.xlsx"),
])
def test_pack_filename(period, revision, name):
    assert pack_filename(period, revision) == name


@pytest.mark.parametrize(("period", "revision"), [
    ("2026-3", 1), ("2026-13", 1), ("26-03", 1), ("2026-03", 0), ("2026-03", True),
    ("2026-03/../x", 1),
])
def test_pack_filename_refuses_nonsense(period, revision):
    with pytest.raises(ValueError):
        pack_filename(period, revision)


def test_summary_takes_each_rows_number_format(book):
    rows = table(book["Summary"])
    spend, variance_pct, units, band = rows
    assert [spend[h].number_format for h in ("Value", "Before", "Change")] == [styles.MONEY] * 3
    assert D(str(spend["Change"].value)) == D("10000.00") and spend["Value"].data_type == "n"
    assert variance_pct["Value"].number_format == "0.0"
    assert shown(variance_pct["Value"].value) == D("1.4")
    assert units["Value"].value == 3 and units["Value"].number_format == "0"
    assert (band["Value"].data_type, band["Value"].value, band["Before"].value) == (
        "s", "meets", "watch")
    assert band["Change"].value is None


def test_management_sheets_keep_text_as_text(book):
    band = table(book["Summary"])[3]
    assert band["Name"].value == FORMULA_NAME and band["Name"].data_type == "s"
    assert band["Detail"].value == "=watch -> meets" and band["Detail"].data_type == "s"
    why = {r["Unit"].value: r for r in table(book["Why they differ"])}
    assert why["WW"]["Explanation"].value == "=runs operational excellence"
    assert why["WW"]["Explanation"].quotePrefix
    assert why["WW"]["Cost per unit"].number_format == styles.DECIMAL
    assert why["ALT"]["Budget"].number_format == styles.MONEY and why["WW"]["Budget"].value is None
    trend = table(book["Trend"])
    assert [(r["Period"].value, shown(r["Variance"].value, "0.01")) for r in trend] == [
        ("2026-02", D("-8000.00")), ("2026-03", D("2000.00"))]
