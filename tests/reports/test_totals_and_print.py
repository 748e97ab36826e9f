"""Totals rows, the Cover's live checks, a unit sheet's last row, and how every sheet prints.

The formulas are checked here as text (what they add up, which rows); that they
recalculate to the right figures in a spreadsheet is checked with LibreOffice on the demo's
packs (``tests/chargeback/test_pack_in_libreoffice.py``).
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from reports import styles
from reports.pack import write_pack
from reports.sheets import charges as charges_sheet
from reports.sheets import unit as unit_sheet
from reports.sheets._table import Column, Page, Table, text_lines
from reports.sheets.cover import CHECKS
from tests.reports.builders import ALT_ATTAINMENT, WW_ATTAINMENT, make_pack, ww_card
from tests.reports.readback import closing, headers, load, table, values
from tests.reports.test_streaming_and_atomic import charge


@pytest.fixture
def book(pack, tmp_path):
    return load(write_pack(pack, tmp_path / "chargeback-2026-03.xlsx"))


def cover_items(book) -> dict[str, object]:
    return {row["Item"]: row["Value"] for row in values(book["Cover"])}


# --------------------------------------------------------------------------- totals


def test_charges_and_journal_end_with_a_subtotal_row(book):
    charges = closing(book["Charges"])
    assert charges["Unit"].value == "Total"
    assert charges["Amount"].value == "=SUBTOTAL(109,J2:J4)"  # the three lines, not itself
    assert charges["Amount"].data_type == "f"
    assert charges["Amount"].number_format == styles.MONEY
    assert charges["Amount"].font.b and charges["Unit"].font.b
    assert charges["Amount"].border.top.style == "thin"
    assert all(charges[h].value is None for h in headers(book["Charges"])
               if h not in ("Unit", "Amount"))
    journal = closing(book["Journal"])
    assert journal["Journal"].value == "Total"
    assert journal["Debit"].value == "=SUBTOTAL(109,G2:G4)"
    assert journal["Credit"].value == "=SUBTOTAL(109,H2:H4)"
    assert journal["Debit"].number_format == journal["Credit"].number_format == styles.MONEY
    assert len(table(book["Charges"])) == 3 and len(table(book["Journal"])) == 3


def test_a_provisional_totals_row_says_so_too(tmp_path):
    book = load(write_pack(make_pack(status="provisional"), tmp_path / "p.xlsx"))
    assert closing(book["Charges"])["Status"].value == "PROVISIONAL"
    assert closing(book["Journal"])["Debit"].value == "=SUBTOTAL(109,G2:G4)"


def test_no_text_ever_reaches_a_formula():
    from reports.cells import Formula

    with pytest.raises(ValueError, match="starts with '='"):
        Formula("SUM(A1:A2)")
    with pytest.raises(ValueError):
        Formula(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ the Cover


def test_cover_figures_and_checks_are_formulas_over_every_charges_sheet(monkeypatch, tmp_path):
    monkeypatch.setattr(charges_sheet, "ROW_LIMIT", 4)  # 2 lines a sheet: 5 lines, 3 sheets
    lines = [charge(n) for n in range(4)] + [replace(charge(4), billing_mode="showback")]
    book = load(write_pack(make_pack(charges=iter(lines)), tmp_path / "c.xlsx"))
    assert [t for t in book.sheetnames if t.startswith("Charges")] == [
        "Charges", "Charges (2)", "Charges (3)"]
    items = cover_items(book)
    sheet = {"1": "'Charges'", "2": "'Charges (2)'", "3": "'Charges (3)'"}
    amount = {n: f"{s}!$J$2:$J${3 if n != '3' else 2}" for n, s in sheet.items()}
    mode = {n: a.replace("$J$", "$G$") for n, a in amount.items()}
    assert items["Charges total"] == "=" + "+".join(f"SUM({amount[n]})" for n in "123")
    assert items["Showback total"] == "=" + "+".join(
        f'SUMIF({mode[n]},"showback",{amount[n]})' for n in "123")
    consumer, debit, credit = ("'Journal'!$E$2:$E$4", "'Journal'!$G$2:$G$4",
                               "'Journal'!$H$2:$H$4")
    assert items["Posted to consumers"] == (
        f'=SUMIF({consumer},"<>",{debit})-SUMIF({consumer},"<>",{credit})')
    assert items["Journal debits"] == f"=SUM({debit})"
    assert items["Journal credits"] == f"=SUM({credit})"
    rows = {row["Item"].value: row["Value"] for row in table(book["Cover"])}
    at = {item: cell.coordinate for item, cell in rows.items()}
    assert items[CHECKS[0]] == f"=ROUND({at['Journal debits']}-{at['Journal credits']},2)"
    assert items[CHECKS[1]] == (f"=ROUND({at['Charges total']}-{at['Posted to consumers']}"
                                f"-{at['Showback total']},2)")
    for item in ("Charges total", *CHECKS):
        assert rows[item].data_type == "f" and rows[item].number_format == styles.MONEY


def test_cover_checks_of_an_empty_month_are_plain_zeros(tmp_path):
    pack = make_pack(charges=iter(()), journal=(), scorecards=(), notes=())
    items = cover_items(load(write_pack(pack, tmp_path / "e.xlsx")))
    for item in ("Charges total", "Showback total", "Posted to consumers", "Journal debits",
                 "Journal credits"):
        assert items[item] == "=0", item
    assert items[CHECKS[0]].startswith("=ROUND(")


def test_the_workbook_asks_to_be_recalculated_when_opened(pack, tmp_path):
    path = write_pack(pack, tmp_path / "r.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()


# ------------------------------------------------------------------ the unit sheets


def test_a_unit_sheet_ends_with_the_units_attainment(book):
    last = closing(book["WW"])
    assert last["Criterion"].value == "Unit attainment"
    assert last["Label"].value == "Walla Walla"
    assert last["Expression"].value == "operational_excellence"
    assert last["Score"].value == pytest.approx(float(WW_ATTAINMENT))
    assert last["Score"].number_format == "0.0" and last["Score"].data_type == "n"
    assert last["Note"].value == "meets"
    assert last["Explanation"].value.startswith("Attainment = sum(Weight x Score)")
    assert last["Criterion"].font.b and last["Score"].font.b
    assert all(last[h].value is None for h in ("Actual", "Target", "Weight", "Method"))
    assert closing(book["ALT"])["Score"].value == pytest.approx(float(ALT_ATTAINMENT))
    assert [r["Criterion"].value for r in table(book["WW"])] == [
        "cost_per_seat", "availability", "first_day_fix", "tickets"]


def test_an_unrated_unit_has_an_empty_attainment(tmp_path):
    card = replace(ww_card(), name="R&D <lab>", attainment=None, band="unrated")
    book = load(write_pack(make_pack(scorecards=(card,)), tmp_path / "u.xlsx"))
    last = closing(book["WW"])
    assert last["Score"].value is None and last["Note"].value == "unrated"
    assert book["WW"].oddHeader.center.text == (
        "&B&A&B: R&&D <lab>, operational_excellence, attainment not rated, band unrated")


def test_a_unit_sheets_page_header_names_the_unit_and_its_attainment(book):
    header = book["WW"].oddHeader
    assert header.center.text == (
        "&B&A&B: Walla Walla, operational_excellence, attainment 80.8, band meets")
    assert book["ALT"].oddHeader.center.text.endswith(
        "Altoona, customer_intimacy, attainment 87.0, band meets")
    assert header.left.text == "Chargeback pack 2026-03"


# --------------------------------------------------------------------------- printing


def test_every_sheet_prints_with_header_footer_and_repeated_heading(book):
    for ws in book.worksheets:
        assert ws.oddHeader.left.text == "Chargeback pack 2026-03", ws.title
        assert ws.oddHeader.center.text.startswith("&B&A&B"), ws.title
        assert not ws.oddHeader.right.text and not ws.oddFooter.right.text
        assert ws.oddFooter.center.text == "Page &P of &N", ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        last = ws.cell(row=1, column=ws.max_column).column_letter
        if ws.title == "Why they differ":  # the columns after Explanation are not printed
            last = "L"
        below = 1 + 3 * 15 if ws.title == "Summary" else 0  # its three charts under the table
        assert ws.print_area == f"'{ws.title}'!$A$1:${last}${ws.max_row + below}", ws.title
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == styles.PAPER_A4


def test_a_provisional_pack_prints_provisional_on_every_page(tmp_path):
    book = load(write_pack(make_pack(status="provisional", revision=2), tmp_path / "p.xlsx"))
    for ws in book.worksheets:
        assert ws.oddHeader.right.text == "&BPROVISIONAL&B", ws.title
        assert ws.oddFooter.right.text == "&BPROVISIONAL&B", ws.title
        assert ws.oddHeader.left.text == "Chargeback pack 2026-03, revision 2", ws.title


def scale_of(ws) -> int:
    """The printed scale: fitted to the page width, or fixed."""
    if ws.sheet_properties.pageSetUpPr.fitToPage:
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        last = ws.print_area.split(":")[-1].lstrip("$").split("$")[0]  # the printed columns
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]
                  if len(c.column_letter) < len(last) or (len(c.column_letter) == len(last)
                                                          and c.column_letter <= last)]
        pixels = sum(styles.column_pixels(w) for w in widths)
        return min(100, int(styles.PRINTABLE_WIDTH_PX * styles.SAFETY * 100 / pixels))
    return ws.page_setup.scale


@pytest.mark.parametrize("status", ["final", "provisional"])
def test_no_sheet_prints_below_60_percent(tmp_path, status):
    book = load(write_pack(make_pack(status=status), tmp_path / "s.xlsx"))
    fitted = {ws.title: bool(ws.sheet_properties.pageSetUpPr.fitToPage)
              for ws in book.worksheets}
    for ws in book.worksheets:
        assert styles.MIN_SCALE <= scale_of(ws) <= 100, ws.title
    # the narrow tables fit the page width; the Portfolio, too wide for that, prints at
    # a fixed scale on pages across, its first column repeated
    assert fitted == {"Cover": True, "Summary": True, "Why they differ": True, "Trend": True,
                      "Statements": True, "Portfolio": False, "Charges": True,
                      "Journal": True, "WW": True, "ALT": True}
    portfolio = book["Portfolio"]
    assert portfolio.print_title_cols == "$A:$A"
    assert portfolio.page_setup.pageOrder == "overThenDown"


def test_the_fixed_scale_is_the_largest_that_needs_no_more_pages_across():
    from reports.sheets._table import _fit

    def scale(widths):
        ws = Workbook(write_only=True).create_sheet("t")
        _fit(ws, widths)
        return None if ws.sheet_properties.pageSetUpPr.fitToPage else ws.page_setup.scale

    # A column of width 20 takes 145 pixels; a page holds 1026 x 0.95 = 974.7 at 100 %.
    assert scale([20] * 6) is None  # 870 pixels: fits at 100 %
    assert scale([20] * 11) is None  # 1595: fits the width at 61 %
    # 13 columns (1885) need two pages across at 60 %: 11 columns, then column A again
    # and the last 2. Two pages hold 13 columns while a page holds 7 (1015 pixels): at
    # 974.7 / 1015 = 96 % at most.
    assert scale([20] * 13) == 96
    # 20 columns: two pages at 60 % (11, then A and 9), and still two at 61 %
    # (974.7 / 0.61 = 1597 pixels a page = 11 columns); at 62 % it would take three.
    assert scale([20] * 20) == 61
    assert scale([20] * 40) == 61  # four pages across (11, then A and 10 a page), as at 60 %


def test_a_table_made_without_a_page_still_prints_its_name_and_page_numbers(tmp_path):
    workbook = Workbook(write_only=True)
    table = Table(workbook, "Other", [Column("A", "text", 10)], provisional=True)
    ws = workbook.worksheets[0]
    assert ws.oddHeader.left.text == "Chargeback pack"
    assert ws.oddHeader.center.text == "&B&A&B"
    assert ws.oddHeader.right.text == "&BPROVISIONAL&B"
    assert ws.oddFooter.center.text == "Page &P of &N"
    assert table.reference("A") is None
    table.append(["x"])
    assert table.reference("A") == "'Other'!$A$2:$A$2"
    table.finish()
    workbook.save(tmp_path / "o.xlsx")


def test_a_page_given_to_the_workbook_reaches_every_table(tmp_path):
    from reports.sheets._table import set_page

    workbook = Workbook(write_only=True)
    set_page(workbook, Page(period="2026-05", revision=3))
    Table(workbook, "New sheet", [Column("A", "text", 10)], provisional=False).finish()
    assert workbook.worksheets[0].oddHeader.left.text == "Chargeback pack 2026-05, revision 3"
    workbook.save(tmp_path / "n.xlsx")


# ---------------------------------------------------------------- wrapped row heights


def height_of(ws, row: int) -> float | None:
    return ws.row_dimensions[row].height


def test_wrapped_text_gets_a_row_tall_enough(book):
    cover = book["Cover"]
    width = cover.column_dimensions["B"].width
    for row in cover.iter_rows(min_row=2):
        text = row[1].value
        if isinstance(text, str) and not text.startswith("="):
            lines = text_lines(text, width)
            expected = None if lines == 1 else (
                lines * styles.LINE_HEIGHT + styles.ROW_PADDING)
            assert height_of(cover, row[0].row) == expected, text
    tall = [height_of(cover, r[0].row) for r in cover.iter_rows(min_row=2)]
    assert any(h and h >= 4 * styles.LINE_HEIGHT for h in tall)  # the sheet guides


def test_text_lines_counts_wrapped_lines_and_line_breaks():
    assert text_lines("short", 10) == 1
    # width 20 holds 23 characters a line: 4 words of "word " (19), so 30 words take 8
    assert text_lines("word " * 30, 20) == 8
    assert text_lines("one\ntwo\n\nfour", 40) == 4
    assert text_lines("x" * 100, 10) == 10  # a word longer than a line (11) is cut


def test_a_unit_sheets_explanation_row_is_as_tall_as_its_text(tmp_path):
    long = "because " * 40
    card = replace(ww_card(), criteria=(replace(ww_card().criteria[0], explanation=long),))
    book = load(write_pack(make_pack(scorecards=(card,)), tmp_path / "w.xlsx"))
    ws = book["WW"]
    lines = text_lines(long, unit_sheet.COLUMNS[-1].width)
    assert lines >= 5
    assert height_of(ws, 2) == lines * styles.LINE_HEIGHT + styles.ROW_PADDING
    row = table(ws)[0]
    assert row["Explanation"].alignment.wrap_text
    assert row["Score"].alignment.vertical == "top"  # the whole row reads from its top


def test_a_charges_sheet_sets_no_row_heights(monkeypatch, tmp_path):
    long = replace(charge(1), basis="x " * 200)
    book = load(write_pack(make_pack(charges=iter([long])), tmp_path / "c.xlsx"))
    assert height_of(book["Charges"], 2) is None  # no wrapped column: no per-row work
    assert D(str(table(book["Charges"])[0]["Amount"].value)) == D("1.5")
