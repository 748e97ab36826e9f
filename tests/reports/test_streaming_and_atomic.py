"""Charges stream onto as many sheets as needed; a pack appears whole or not at all."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.worksheet import _writer as openpyxl_writer

from reports import pack as pack_module
from reports.baseline import read_cells, write_cells
from reports.cells import one_decimal
from reports.model import ChargeRow
from reports.pack import write_pack
from reports.sheets import charges as charges_sheet
from reports.sheets._table import EXCEL_MAX_ROWS
from tests.reports.builders import make_pack
from tests.reports.readback import closing, headers, load, table, values
from tests.reports.test_pack_layout import CHARGES


def charge(n: int) -> ChargeRow:
    return ChargeRow(unit="WW", service="DESK", consumer=f"C{n:03}", consumer_name=f"C {n}",
                     method="usage", basis="seat-month", billing_mode="chargeback",
                     quantity=D(n), rate=D("1.5"), amount=D(n) * D("1.5"))


class Once:
    """An iterable that can be iterated once, and counts how far it was read."""

    def __init__(self, rows):
        self._rows = rows
        self.used = False
        self.read = 0

    def __iter__(self):
        assert not self.used, "the charges were iterated twice"
        self.used = True
        for row in self._rows:
            self.read += 1
            yield row


@pytest.mark.parametrize(("lines", "sheets"), [(0, [0]), (3, [3]), (4, [3, 1]),
                                               (6, [3, 3]), (11, [3, 3, 3, 2])])
def test_charges_continue_on_numbered_sheets(monkeypatch, tmp_path, lines, sheets):
    monkeypatch.setattr(charges_sheet, "ROW_LIMIT", 5)  # header, 3 lines, the totals row
    rows = Once(charge(n) for n in range(lines))
    pack = make_pack(charges=rows, status="provisional")
    book = load(write_pack(pack, tmp_path / "s.xlsx"))
    titles = ["Charges"] + [f"Charges ({n})" for n in range(2, len(sheets) + 1)]
    assert book.sheetnames[:6] == ["Cover", "Summary", "Why they differ", "Trend", "Statements", "Portfolio"]
    assert book.sheetnames[6:6 + len(titles)] == titles
    assert book.sheetnames[6 + len(titles)] == "Journal"
    consumers = []
    for title, count in zip(titles, sheets, strict=True):
        ws = book[title]
        assert headers(ws) == [*CHARGES, "Status"]
        assert ws.max_row <= 5 and ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:K{count + 1}"
        consumers += [r["Consumer"] for r in values(ws)]
        total = closing(ws)  # each sheet adds up its own lines
        assert total["Unit"].value == "Total" and total["Status"].value == "PROVISIONAL"
        assert total["Amount"].value == (
            f"=SUBTOTAL(109,J2:J{count + 1})" if count else 0)
    assert consumers == [f"C{n:03}" for n in range(lines)]
    assert rows.read == lines
    items = {r["Item"]: r["Value"] for r in values(book["Cover"])}
    assert items["Charge lines"] == lines
    for title in titles:
        assert f"Sheet {title}" in items


def test_unit_code_shaped_like_a_charges_sheet_is_renamed(monkeypatch, tmp_path):
    from dataclasses import replace

    from tests.reports.builders import ww_card
    monkeypatch.setattr(charges_sheet, "ROW_LIMIT", 3)
    cards = (replace(ww_card(), unit="Charges (9)"), replace(ww_card(), unit="charges"))
    book = load(write_pack(make_pack(scorecards=cards), tmp_path / "c.xlsx"))
    assert book.sheetnames[-2:] == ["Charges (9)~2", "charges~2"]


def failing_charges(after: int):
    for n in range(after):
        yield charge(n)
    raise RuntimeError("database went away")


def openpyxl_temp_files() -> set[str]:
    return set(openpyxl_writer.ALL_TEMP_FILES)


def test_a_failure_mid_stream_leaves_no_file(tmp_path):
    before = openpyxl_temp_files()
    path = tmp_path / "packs" / "chargeback-2026-03.xlsx"
    with pytest.raises(RuntimeError, match="database went away"):
        write_pack(make_pack(charges=failing_charges(3)), path)
    assert not path.exists()
    assert list(path.parent.iterdir()) == []  # no temporary file either
    assert openpyxl_temp_files() == before  # openpyxl's per-sheet files are gone too


def test_a_failure_while_saving_leaves_the_old_file_alone(monkeypatch, tmp_path):
    path = tmp_path / "chargeback-2026-03.xlsx"
    path.write_bytes(b"the pack finance first received")
    real_save = Workbook.save

    def half_save(self, filename):
        real_save(self, filename)
        with open(filename, "r+b") as handle:  # a half-written zip, then a crash
            handle.truncate(100)
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", half_save)
    with pytest.raises(OSError, match="disk full"):
        write_pack(make_pack(), path)
    assert path.read_bytes() == b"the pack finance first received"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_failure_at_the_rename_leaves_nothing(monkeypatch, tmp_path):
    def no_rename(src, dst):
        raise PermissionError("read-only share")

    monkeypatch.setattr(pack_module.os, "replace", no_rename)
    with pytest.raises(PermissionError):
        write_pack(make_pack(), tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_the_temporary_file_is_next_to_the_target_and_renamed(monkeypatch, tmp_path):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(pack_module.os, "replace", spy)
    path = write_pack(make_pack(), tmp_path / "chargeback-2026-03.xlsx")
    [(src, dst)] = seen
    assert dst == path and src.parent == path.parent and src.name.startswith(".")
    assert not src.exists() and path.exists()


@pytest.mark.parametrize("limit", [2, EXCEL_MAX_ROWS + 1])
def test_a_row_limit_without_room_for_a_line_is_refused(monkeypatch, tmp_path, limit):
    monkeypatch.setattr(charges_sheet, "ROW_LIMIT", limit)
    with pytest.raises(ValueError, match="ROW_LIMIT must be in 3"):
        write_pack(make_pack(), tmp_path / "x.xlsx")


def test_baseline_writes_the_same_cells_bare(monkeypatch, tmp_path):
    monkeypatch.setattr(charges_sheet, "ROW_LIMIT", 4)
    pack = write_pack(make_pack(charges=[charge(n) for n in range(5)]),
                      tmp_path / "chargeback-2026-03.xlsx")
    cells = read_cells(pack)
    path = write_cells(cells, tmp_path / "b.xlsx")
    book, original = load(path), load(pack)
    assert book.sheetnames == original.sheetnames
    assert ["Charges", "Charges (2)", "Charges (3)"] == [
        n for n in book.sheetnames if n.startswith("Charges")]
    assert headers(book["Charges"]) == CHARGES
    for name in book.sheetnames:
        ours = [[c.value for c in row] for row in original[name].iter_rows()]
        theirs = [[c.value for c in row] for row in book[name].iter_rows()]
        assert theirs == ours, name
    first, bare = table(original["Charges"])[0], table(book["Charges"])[0]
    assert bare["Amount"].number_format == first["Amount"].number_format == "#,##0.00"
    assert bare["Consumer"].value == "C000" and not bare["Unit"].font.b


@given(st.decimals(min_value=-1000, max_value=100000, allow_nan=False, allow_infinity=False,
                   places=27 - 6))
def test_one_decimal_never_changes_the_shown_figure(value):
    cut = one_decimal(value)
    assert len(cut.as_tuple().digits) <= 15
    tenth = D("0.1")
    assert cut.quantize(tenth, ROUND_HALF_UP) == value.quantize(tenth, ROUND_HALF_UP)
