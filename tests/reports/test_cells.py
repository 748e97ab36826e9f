"""Text that is never a formula, numbers that round as shown, legal sheet names."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal as D

import pytest

from reports.cells import (
    clean_text,
    legal_sheet_name,
    legal_sheet_names,
    needs_quote,
    number,
    one_decimal,
)
from reports.pack import write_pack
from reports.sheets.charges import is_charges_title
from reports.sheets.cover import CHECKS
from tests.reports.builders import FORMULA_NAME, alt_card, criterion, make_pack, ww_card
from tests.reports.readback import load, sheet_xml, shown, table

RISKY = [FORMULA_NAME, "=1+1", "+1", "-5 adjustment", "@SUM(A1:A9)", "\t=1+1", "\r=1",
         " =cmd|' /C calc'!A0", "=", "\uff1d1+1"]
READ_BACK = [clean_text(text) for text in RISKY]  # "\r=1" reads "\n=1"
HARMLESS = ["plain", "a=b", "5-3", "x@y", " spaced", "", "2026-03"]


@pytest.mark.parametrize("text", RISKY)
def test_risky_text_needs_a_quote(text):
    assert needs_quote(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_does_not(text):
    assert not needs_quote(text)


def test_clean_text_replaces_what_xml_cannot_hold():
    assert clean_text("a\x00b\x1fc\td\ne") == "a\ufffdb\ufffdc\td\ne"
    assert clean_text("one\r\ntwo\rthree") == "one\ntwo\nthree"
    with pytest.raises(TypeError):
        clean_text(5)  # type: ignore[arg-type]


def formula_pack():
    """Risky text in every kind of text column: codes, names, expressions, notes."""
    ww = ww_card()
    criteria = tuple(
        replace(c, label=text, expr=text, note=text, explanation=text)
        for c, text in zip(ww.criteria, RISKY, strict=False))
    charges = [replace(row, consumer_name=text, basis=text, consumer=text)
               for row, text in zip(list(make_pack().charges) * 4, RISKY, strict=False)]
    return make_pack(scorecards=(replace(ww, criteria=criteria), alt_card()),
                     charges=iter(charges), notes=tuple(RISKY))


FORMULA_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"[^>]*><f>([^<]*)</f>')
FIGURES = {"Charges total", "Showback total", "Posted to consumers", "Journal debits",
           "Journal credits", *CHECKS}


def test_formula_text_is_never_a_formula(tmp_path):
    """The only formula cells are the pack's own: the totals rows and the Cover's figures
    and checks; no text of the data is ever one."""
    path = write_pack(formula_pack(), tmp_path / "f.xlsx")
    book = load(path)
    for title, xml in sheet_xml(path).items():
        found = FORMULA_CELL.findall(xml)
        assert len(re.findall(r"<f[ >]", xml)) == len(found), title
        last = book[title].max_row
        for column, row, formula in found:
            assert "HYPERLINK" not in formula and "cmd" not in formula, (title, formula)
            if title == "Cover":
                assert column == "B", formula
                assert book[title][f"A{row}"].value in FIGURES, formula
            elif title == "Charges":
                assert (column, int(row)) == ("J", last), formula
                assert formula == f"SUBTOTAL(109,J2:J{last - 1})"
            elif title == "Journal":
                assert column in "GH" and int(row) == last, formula
            else:
                pytest.fail(f"a formula on {title}: {formula}")
        assert title != "Cover" or {f for _, _, f in found}, "the Cover has its checks"
    xml = sheet_xml(path)["Charges"]
    cell = re.search(r'<c r="D2"[^>]*>', xml).group(0)
    assert 't="inlineStr"' in cell


def test_formula_text_reads_back_unchanged_and_quote_prefixed(tmp_path):
    book = load(write_pack(formula_pack(), tmp_path / "f.xlsx"))
    charges = table(book["Charges"])
    assert [r["Consumer name"].value for r in charges] == READ_BACK
    assert [r["Consumer"].value for r in charges] == READ_BACK
    for row in charges:
        for header in ("Consumer", "Consumer name", "Basis"):
            assert row[header].data_type == "s"
            assert row[header].quotePrefix, (header, row[header].value)
        assert not row["Unit"].quotePrefix  # harmless text stays plain
    criteria = table(book["WW"])
    for row, text in zip(criteria, READ_BACK, strict=False):
        for header in ("Label", "Expression", "Note", "Explanation"):
            assert row[header].value == text and row[header].quotePrefix
    notes = {r["Item"].value: r["Value"] for r in table(book["Cover"])}
    assert notes["Note 1"].value == FORMULA_NAME and notes["Note 1"].quotePrefix
    journal = {r["Description"].value: r["Description"] for r in table(book["Journal"])}
    assert journal["-5 adjustment @plant"].quotePrefix


def test_the_styles_carry_quote_prefix(tmp_path):
    import zipfile

    path = write_pack(formula_pack(), tmp_path / "f.xlsx")
    with zipfile.ZipFile(path) as archive:
        assert 'quotePrefix="1"' in archive.read("xl/styles.xml").decode()


@pytest.mark.parametrize(("value", "rounded"), [
    (D(485) / D(6), D("80.8")),
    (D(522) / D(6), D("87.0")),
    (D("84.8499999999999999999999999"), D("84.8")),  # would be 84.85 as a double
    (D("84.85"), D("84.9")),
    (D("84.8500000000000000000000001"), D("84.9")),
    (D("-0.0499999999999999999999999"), D("0.0")),
    (D("99.94999999999999999999"), D("99.9")),
    (D("103.2"), D("103.2")),
    (D("12345.6499999999999999999"), D("12345.6")),
])
def test_one_decimal_keeps_the_rounding_in_the_cell(tmp_path, value, rounded):
    assert one_decimal(value).quantize(D("0.1"), "ROUND_HALF_UP") == rounded
    card = replace(ww_card(), criteria=(criterion(key="k", score=value),))
    book = load(write_pack(make_pack(scorecards=(card,)), tmp_path / "r.xlsx"))
    assert shown(table(book["WW"])[0]["Score"].value) == rounded


def test_one_decimal_leaves_short_values_alone():
    assert one_decimal(D("80.83")) == D("80.83")
    assert one_decimal(7) == 7
    assert str(one_decimal(D(485) / D(6))) == "80.8333333333333"


@pytest.mark.parametrize("bad", [1.5, True, "3", D("NaN"), D("Infinity")])
def test_number_refuses_what_is_not_a_finite_decimal(bad):
    with pytest.raises((TypeError, ValueError)):
        number(bad)


NASTY = ["A/B", "A_B", "a_b", "Cover", "history", "x" * 40, "x" * 31 + "y", "'quoted'",
         "[x]:*?", "charges (2)", "CHARGES", "", "Journal~2", "journal", "WW", "ww",
         "\U0001F600" * 20, "o'k"]


def test_legal_sheet_name_steps():
    assert legal_sheet_name("A/B") == "A_B"
    assert legal_sheet_name("[x]:*?\\") == "_x_____"
    assert legal_sheet_name("x" * 40) == "x" * 31
    assert legal_sheet_name("'quoted'") == "_quoted_"
    assert legal_sheet_name("a" * 30 + "'b") == "a" * 30 + "_"
    assert legal_sheet_name("") == "_" and legal_sheet_name("  ") == "_"
    assert legal_sheet_name("o'k") == "o'k"
    assert legal_sheet_name("\U0001F600" * 20) == "\U0001F600" * 15  # 30 UTF-16 units


def test_legal_sheet_names_on_nasty_codes():
    taken = ["Cover", "Summary", "Why they differ", "Trend", "Statements", "Portfolio", "Charges",
             "Journal"]
    names = legal_sheet_names(NASTY, reserved=taken, is_reserved=is_charges_title)
    assert dict(zip(NASTY, names, strict=True)) == {
        "A/B": "A_B", "A_B": "A_B~2", "a_b": "a_b~3", "Cover": "Cover~2",
        "history": "history~2", "x" * 40: "x" * 31, "x" * 31 + "y": "x" * 29 + "~2",
        "'quoted'": "_quoted_", "[x]:*?": "_x____", "charges (2)": "charges (2)~2",
        "CHARGES": "CHARGES~2", "": "_", "Journal~2": "Journal~2", "journal": "journal~3",
        "WW": "WW", "ww": "ww~2", "\U0001F600" * 20: "\U0001F600" * 15, "o'k": "o'k"}
    folded = [n.casefold() for n in names]
    assert len(set(folded)) == len(folded)
    assert not set(folded) & {t.casefold() for t in [*taken, "History"]}
    for name in names:
        assert not re.search(r"[\[\]:*?/\\]", name)
        assert 1 <= len(name.encode("utf-16-le")) // 2 <= 31
        assert not name.startswith("'") and not name.endswith("'")


def test_a_pack_with_nasty_unit_codes_opens_with_legal_names(tmp_path):
    cards = tuple(replace(ww_card(), unit=code) for code in ["A/B", "a_b", "Cover", "History",
                                                            "'x'", "y" * 40, "summary",
                                                            "Why they differ", "TREND",
                                                            "STATEMENTS"])
    book = load(write_pack(make_pack(scorecards=cards), tmp_path / "n.xlsx"))
    assert book.sheetnames == ["Cover", "Summary", "Why they differ", "Trend", "Statements", "Portfolio",
                               "Charges", "Journal", "A_B", "a_b~2", "Cover~2", "History~2",
                               "_x_", "y" * 31, "summary~2", "Why they differ~2", "TREND~2",
                               "STATEMENTS~2"]
    items = {r["Item"].value: r["Value"].value for r in table(book["Cover"])}
    assert "'A/B'" in items["Sheet A_B"] and "Scorecard A/B" in items
    assert table(book["a_b~2"])[0]["Criterion"].value == "cost_per_seat"


def test_a_text_writer_remembers_values_and_forgets_past_its_bound(monkeypatch):
    """Repeated values come from its memory; past REMEMBERED values it starts over, and
    every value still gets the right cell (risky text quoted, harmless text plain)."""
    from openpyxl import Workbook

    from reports.cells import TextWriter

    monkeypatch.setattr(TextWriter, "REMEMBERED", 2)
    write = TextWriter(Workbook(write_only=True).create_sheet("T"))
    for _ in range(3):
        for text in [*RISKY, *HARMLESS]:
            got = write(text)
            if text == "":
                assert got is None
            elif needs_quote(clean_text(text)):
                assert got.quotePrefix and got.value == clean_text(text)
                assert got.data_type == "s"
            else:
                assert got == text
    assert len(write._seen) <= 2
    with pytest.raises(TypeError):
        write(5)
