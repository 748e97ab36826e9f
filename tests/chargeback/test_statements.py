"""Consumer statements on the end-to-end company, March and April closed, every figure
worked by hand (``statements_data``): the pack's Statements sheet, ``chargeback statements``
and its workbooks, and a closed month's statements unchanged by anything done later."""

from __future__ import annotations

import io
import re
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit
from chargeback.services import statements as service
from chargeback.services import units_admin
from chargeback.services.importing import import_file
from chargeback.services.units_admin import UnitFields
from tests.chargeback.statements_data import APRIL, CHANGE, MARCH, april_closed
from tests.chargeback.test_close_end_to_end import run, table


def d(value) -> D | None:
    """A number cell (a double) as the decimal it shows; None (an empty cell) stays None."""
    return None if value is None else D(str(value))


def pack(runner, tmp_path: Path, period: str) -> openpyxl.Workbook:
    out = tmp_path / f"pack-{period}.xlsx"
    run(runner, "pack", period, "--out", str(out))
    return openpyxl.load_workbook(out)


def sheet_figures(book) -> dict[str, tuple]:
    return {r["Consumer"]: (d(r["Billed"]), d(r["Showback"]), d(r["Prior total"]))
            for r in table(book["Statements"])}


def items(book) -> dict:
    return {r["Item"]: r["Value"] for r in table(book["Statement"])}


@pytest.fixture
def april(runner, app):
    april_closed(runner)
    return app


# --- the pack's Statements sheet ----------------------------------------------------------


def test_the_statements_sheet_of_april_against_march(april, runner, tmp_path):
    book = pack(runner, tmp_path, "2026-04")
    assert book.sheetnames[4:6] == ["Statements", "Portfolio"]
    rows = {r["Consumer"]: r for r in table(book["Statements"])}
    assert list(rows) == ["C-ALT", "LAB1", "LAB2", "LINE1", "LINE2", "LINE3"]
    assert sheet_figures(book) == APRIL
    for code, row in rows.items():
        billed, showback, _ = APRIL[code]
        assert d(row["Total"]) == billed + showback, code
        assert d(row["Change"]) == CHANGE[code], code
    assert rows["LINE3"]["Prior total"] is None and rows["LINE3"]["Change"] is None  # new
    assert (rows["LAB1"]["Name"], rows["LAB1"]["GL account"]) == ("Materials lab", "6100-001")
    # Billed is what the journal posts to the consumers, to the cent
    debits = sum(d(j["Debit"]) for j in table(book["Journal"]) if j["Consumer"])
    assert sum(d(r["Billed"]) for r in rows.values()) == debits == D("142800.00")
    charges = table(book["Charges"])
    for code, row in rows.items():
        assert d(row["Total"]) == sum(d(c["Amount"]) for c in charges if c["Consumer"] == code)


def test_march_has_no_prior_month(april, runner, tmp_path):
    """February was never closed: every Prior total and Change of March is empty."""
    book = pack(runner, tmp_path, "2026-03")
    assert sheet_figures(book) == MARCH
    assert all(r["Change"] is None for r in table(book["Statements"]))


def test_prior_totals_stay_as_april_closed_with_them(april, runner, tmp_path):
    """March reopened, then closed again with late usage: April keeps the March it was
    closed with (a closed month never moves); a provisional May would read the new one."""
    before = table(pack(runner, tmp_path / "before", "2026-04")["Statements"])
    run(runner, "reopen", "2026-03", "--reason", "late usage")
    assert table(pack(runner, tmp_path / "reopened", "2026-04")["Statements"]) == before
    import_text("usage", "period,consumer_code,service_code,quantity\n2026-03,LAB1,CPU,100\n")
    run(runner, "close", "2026-03")
    after = table(pack(runner, tmp_path / "after", "2026-04")["Statements"])
    assert after == before and d(before[1]["Total"]) == D("23760.00")
    assert any(r["Prior total"] is not None for r in after)


def test_a_provisional_pack_compares_the_open_month_with_the_last_close(april, runner,
                                                                      tmp_path):
    """May, open: only LINE3 uses compute (1,000 core-hours at 0.06 = 60.00, all DC's
    spend). Every consumer still has its row: 0.00 against April's close."""
    from chargeback.services.closing import provisional_pack

    for kind, text in (
            ("spend", "period,unit_code,cost_pool,amount\n2026-05,DC,compute,60.00\n"),
            ("usage", "period,consumer_code,service_code,quantity\n2026-05,LINE3,CPU,1000\n"),
            ("drivers", "period,consumer_code,driver,quantity\n2026-05,LAB1,headcount,1\n"
                        "2026-05,LAB2,headcount,1\n")):
        import_text(kind, text)
    path = provisional_pack(db.session, "2026-05", tmp_path / "draft.xlsx", "USD").path
    db.session.rollback()
    rows = {r["Consumer"]: r for r in table(openpyxl.load_workbook(path)["Statements"])}
    assert list(rows) == list(APRIL)
    assert {r["Status"] for r in rows.values()} == {"PROVISIONAL"}
    line3 = rows["LINE3"]
    assert (d(line3["Billed"]), d(line3["Total"]), d(line3["Prior total"]),
            d(line3["Change"])) == (D("60.00"), D("60.00"), D("60.00"), D("0.00"))
    lab1 = rows["LAB1"]
    assert (d(lab1["Total"]), d(lab1["Prior total"]), d(lab1["Change"])) == (
        0, D("23760.00"), D("-23760.00"))


# --- chargeback statements ----------------------------------------------------------------


def test_the_command_writes_one_workbook_per_consumer(april, runner, tmp_path):
    out = tmp_path / "bills"
    result = run(runner, "statements", "2026-04", "--out", str(out))
    names = [f"statement-2026-04-{code}.xlsx" for code in APRIL]
    assert result.stdout.splitlines() == [str(out / name) for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert "6 statement(s) of 2026-04 written to" in result.stderr
    for code, (billed, showback, _) in APRIL.items():
        book = openpyxl.load_workbook(out / f"statement-2026-04-{code}.xlsx")
        facts = items(book)
        assert (facts["Consumer"], facts["Period"], facts["Currency"], facts["Revision"]) == (
            code, "2026-04", "USD", 1)
        assert (d(facts["Billed"]), d(facts["Showback"]), d(facts["Total"])) == (
            billed, showback, billed + showback), code
        lines = table(book["Charges"])
        assert facts["Charge lines"] == len(lines)
        assert sum((d(r["Amount"]) for r in lines), D(0)) == billed + showback, code
        by_unit = table(book["By unit"])
        assert sum((d(r["Total"]) for r in by_unit), D(0)) == billed + showback, code
    assert items(openpyxl.load_workbook(out / "statement-2026-04-C-ALT.xlsx"))["Unit"] == "ALT"


def test_a_statement_line_by_line_to_the_cent(april, runner, tmp_path):
    """LAB1 in April: ALT's headcount share, DC's compute and its unrecovered share, LAB's
    prototype hours (shown back), by unit and service."""
    run(runner, "statements", "2026-04", "--out", str(tmp_path), "--consumer", "LAB1")
    book = openpyxl.load_workbook(tmp_path / "statement-2026-04-LAB1.xlsx")
    assert book.sheetnames == ["Statement", "By unit", "Charges"]
    lines = [(r["Unit"], r["Unit name"], r["Service"], r["Method"], d(r["Quantity"]),
              d(r["Rate"]), d(r["Amount"]), r["Billing mode"]) for r in table(book["Charges"])]
    assert lines == [
        ("ALT", "Altoona R&D Computing", None, "driver", D(1), None, D("22900.00"),
         "chargeback"),
        ("DC", "Data Center", "CPU", "usage", D(5000), D("0.06"), D("300.00"), "chargeback"),
        ("DC", "Data Center", None, "driver", D(1), None, D("60.00"), "chargeback"),
        ("LAB", "Innovation Lab", "PROTO", "usage", D(5), D(100), D("500.00"), "showback"),
    ]
    assert table(book["Charges"])[1]["Service name"] == "Compute"
    units = {r["Unit"]: (r["Charge lines"], d(r["Billed"]), d(r["Showback"]), d(r["Total"]))
             for r in table(book["By unit"])}
    assert units == {"ALT": (1, D("22900.00"), 0, D("22900.00")),
                     "DC": (2, D("360.00"), 0, D("360.00")),
                     "LAB": (1, 0, D("500.00"), D("500.00"))}
    facts = items(book)
    assert (d(facts["Billed"]), d(facts["Showback"]), d(facts["Total"])) == (
        D("23260.00"), D("500.00"), D("23760.00"))
    assert (facts["Name"], facts["GL account"], facts["Unit"]) == ("Materials lab", "6100-001",
                                                                   None)
    assert re.fullmatch(r"[0-9a-f]{64}", facts["Seal"])
    assert facts["Closed at"] is not None


def test_the_default_folder_is_in_the_pack_folder(april, runner, app):
    result = run(runner, "statements", "2026-03")
    folder = Path(app.config["CHARGEBACK_PACK_DIR"]) / "statements" / "2026-03"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"statement-2026-03-{code}.xlsx" for code in sorted(MARCH)]
    assert len(result.stdout.splitlines()) == 5


def test_the_command_refuses_what_has_no_statement(april, runner, tmp_path):
    def refused(*args) -> str:
        result = runner.invoke(args=["statements", *args, "--out", str(tmp_path / "x")])
        assert result.exit_code == 1, (args, result.output)
        return result.stderr

    assert "no period 2026-07" in refused("2026-07")
    spend = tmp_path / "may.csv"
    spend.write_text("period,unit_code,cost_pool,amount\n2026-05,DC,compute,1.00\n")
    run(runner, "import", "spend", str(spend))
    assert "period 2026-05 is open: statements are written for closed months only" in refused(
        "2026-05")
    assert "There is no consumer NOPE in 2026-04" in refused("2026-04", "--consumer", "NOPE")
    assert "There is no consumer LINE3 in 2026-03" in refused("2026-03", "--consumer", "LINE3")
    run(runner, "reopen", "2026-03", "--reason", "late usage")
    assert "period 2026-03 was reopened and is open" in refused("2026-03")
    assert not (tmp_path / "x").exists()  # nothing written
    usage = runner.invoke(args=["statements", "2026-4"])
    assert usage.exit_code == 2 and "is not a period" in usage.stderr
    missing = runner.invoke(args=["statements"])
    assert missing.exit_code == 2


def test_statements_are_not_written_from_figures_the_seal_does_not_vouch_for(april, runner,
                                                                             tmp_path):
    from sqlalchemy import update

    from chargeback.models import Charge

    db.session.execute(update(Charge).where(Charge.period == "2026-04")
                       .values(amount=Charge.amount + 1))
    db.session.commit()
    result = runner.invoke(args=["statements", "2026-04", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1 and "no longer match its seal" in result.stderr
    assert not (tmp_path / "x").exists()


def test_progress_is_reported_for_each_consumer(april, tmp_path):
    seen = []
    paths = service.write_all(db.session, "2026-04", tmp_path, "USD",
                              progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 6) for n in range(1, 7)]
    assert [p.name for p in paths] == [f"statement-2026-04-{c}.xlsx" for c in APRIL]


# --- a closed month never moves -----------------------------------------------------------


def statement_cells(runner, folder: Path) -> dict:
    """Every cell of every statement of March and April, and of the packs' Statements."""
    found = {}
    for period in ("2026-03", "2026-04"):
        run(runner, "statements", period, "--out", str(folder / period))
        for path in sorted((folder / period).iterdir()):
            book = openpyxl.load_workbook(path)
            found[path.name] = [(ws.title, list(ws.iter_rows(values_only=True)))
                                for ws in book.worksheets]
        out = folder / f"pack-{period}.xlsx"
        run(runner, "pack", period, "--out", str(out))
        found[out.name] = list(openpyxl.load_workbook(out)["Statements"].iter_rows(
            values_only=True))
    return found


def import_text(kind: str, text: str) -> None:
    result = import_file(db.session, kind, io.BytesIO(text.encode()), f"{kind}.csv", "test")
    assert result.ok, result.errors
    db.session.commit()


def test_later_changes_leave_closed_statements_as_they_were(april, runner, app, tmp_path):
    """Imports into a later month, a new consumer, a consumer renamed and moved under
    another unit, a unit renamed and moved, a new rate and a service renamed: every figure
    and name of March's and April's statements stays as each month closed, cell for cell,
    and the API's list of them byte for byte."""
    from chargeback.services import tokens
    from chargeback.services.users import create_user
    from tests.conftest import FAST_HASH

    user = create_user(db.session, "fin@example.com", "finance", "a long password", "test",
                       hash_method=FAST_HASH)
    _, token = tokens.create(db.session, user, "frozen", "test")
    db.session.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def api() -> list[bytes]:
        answers = [client.get(f"/api/v1/periods/{p}/statements", headers=headers)
                   for p in ("2026-03", "2026-04")]
        assert [a.status_code for a in answers] == [200, 200]
        return [a.get_data() for a in answers]

    before, before_api = statement_cells(runner, tmp_path / "before"), api()
    import_text("consumers", "code,name,gl_account,unit_code\n"
                             "LAB1,Renamed lab,7777-001,WW\nLINE4,Line four,6200-004,\n"
                             "C-ALT,Altoona moved,6900-ALT,WW\n")
    unit = db.session.scalar(select(Unit).where(Unit.code == "ALT"))
    units_admin.update_unit(db.session, unit, UnitFields(
        name="Altoona renamed", parent_code="HQ", service_model=unit.service_model_code,
        billing_mode="showback", recovery_account=unit.recovery_account), "test")
    db.session.commit()
    import_text("rates", "service_code,effective_from,price\nCPU,2026-05,9.99\n")
    import_text("services", "code,unit_code,name,uom\nCPU,DC,Renamed compute,vCPU-hour\n")
    import_text("spend", "period,unit_code,cost_pool,amount\n2026-05,DC,compute,500.00\n")
    import_text("usage", "period,consumer_code,service_code,quantity\n2026-05,LINE4,CPU,7\n"
                         "2026-05,LAB1,CPU,3\n")
    after, after_api = statement_cells(runner, tmp_path / "after"), api()
    assert sorted(after) == sorted(before)
    for name, cells in before.items():
        assert after[name] == cells, f"{name} changed"
    assert after_api == before_api
    lab1 = dict(before["statement-2026-04-LAB1.xlsx"][0][1][1:])
    assert lab1["Name"] == "Materials lab" and lab1["GL account"] == "6100-001"
