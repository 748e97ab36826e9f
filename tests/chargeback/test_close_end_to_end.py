"""import -> scorecards -> rules -> close -> pack, through the command line, every figure
of the pack checked against values worked out by hand below.

The company (period 2026-03): DC sells compute (rate changed 0.05 -> 0.06 in 2026-03,
0.07 from 2026-06) to ALT (a unit: a cascade) and to LAB1, and shares what usage leaves
unrecovered by headcount. ALT shares all its spend, the internal charge included, by
headcount. LAB is a showback unit. WW splits its desktop pool 60/40. WW has a second
scorecard from 2026-04, after the closed month; ALT has a criterion without data.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from chargeback.models import Charge, JournalLine, Period, Rating
from tests.snapshots import built_once

DATA = Path(__file__).parent / "data" / "e2e"
IMPORTS = ("units", "consumers", "services", "rates", "spend", "budget", "metrics", "usage",
           "drivers")


CLOSING_ROWS = ("Total", "Unit attainment")  # first cell of a table's last, closing row


def table(sheet) -> list[dict]:
    """The data rows by header name: a closing row (Charges' and Journal's totals, a unit
    sheet's Unit attainment) is left out."""
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    if len(rows) > 1 and rows[-1][0] in CLOSING_ROWS:
        rows = rows[:-1]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def d(value) -> Decimal:
    return Decimal(str(value))


def one_decimal(value) -> Decimal:
    return d(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result


SCORECARDS = ("WW", "WW-v2", "ALT", "LAB")


def load_company(runner, scorecards: tuple[str, ...] = SCORECARDS) -> None:
    """The company's files, scorecards and allocation rules, through the command line;
    nothing closed yet. Built once per session and starting state (``tests.snapshots``)."""

    def through_the_command_line():
        for kind in IMPORTS:
            run(runner, "import", kind, str(DATA / f"{kind}.csv"))
        for name in scorecards:
            run(runner, "scorecard", "import", str(DATA / f"scorecard-{name}.json"))
        for name in ("DC", "ALT", "WW"):
            run(runner, "rules", "import", str(DATA / f"rules-{name}.json"))

    built_once(f"company loaded, scorecards {','.join(scorecards)}", through_the_command_line)


@pytest.fixture
def closed(runner, app):
    load_company(runner)
    result = run(runner, "close", "2026-03")
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.name == "chargeback-2026-03.xlsx"
    assert path.parent == Path(app.config["CHARGEBACK_PACK_DIR"])
    return openpyxl.load_workbook(path)


def test_sheets_and_portfolio(closed):
    names = closed.sheetnames
    assert names[:8] == ["Cover", "Summary", "Why they differ", "Trend", "Statements", "Portfolio",
                         "Charges", "Journal"]
    assert set(names[8:]) == {"ALT", "LAB", "WW"}  # one per rated unit; DC has no scorecard
    rows = {r["Unit"]: r for r in table(closed["Portfolio"])}
    assert [r["Unit"] for r in table(closed["Portfolio"])] == ["HQ", "DC", "GRP", "ALT", "LAB",
                                                                "WW"]
    expected = {  # unit: spend, budget, charged, attainment, band
        "DC": ("1000.00", None, "1000.00", None, "unrated"),
        "ALT": ("90600.00", "88000.00", "90600.00", "87", "meets"),
        "LAB": ("1500.00", None, "1000.00", "77.5", "meets"),
        "WW": ("50000.00", "52000.00", "50000.00", "80.8", "meets"),
        # LAB and DC have no budget: their groups have none either (allocation.md, Roll-ups)
        "GRP": ("92100.00", None, "91600.00", "86.8", "meets"),
        "HQ": ("142500.00", None, "142000.00", "84.7", "meets"),
    }
    for unit, (spend, budget, charged, attainment, band) in expected.items():
        row = rows[unit]
        assert d(row["Spend"]) == d(spend), unit
        assert (row["Budget"] is None) if budget is None else d(row["Budget"]) == d(budget)
        assert d(row["Charged"]) == d(charged), unit
        if attainment is None:
            assert row["Attainment"] is None
        else:
            assert one_decimal(row["Attainment"]) == d(attainment).quantize(Decimal("0.1"))
        assert row["Band"] == band, unit
    assert rows["ALT"]["Service model"] == "customer_intimacy"
    assert rows["LAB"]["Service model"] == "product_leadership"
    assert rows["WW"]["Service model"] == "operational_excellence"
    assert rows["GRP"]["Parent"] == "HQ" and rows["ALT"]["Parent"] == "GRP"
    assert one_decimal(rows["LAB"]["Recovery %"]) == Decimal("66.7")
    # HQ: (90600*87 + 1500*77.5 + 50000*80.8333..)/142100 = 84.7298..
    assert abs(d(rows["HQ"]["Attainment"]) - Decimal("84.72988") ) < Decimal("0.00001")
    assert d(rows["HQ"]["Internal eliminated"]) == Decimal("600.00")
    notes = [r["Value"] for r in table(closed["Cover"]) if str(r["Item"]).startswith("Note")]
    assert any("142,000.00 is posted" not in n and "141,000.00 is posted to the journal and "
               "1,000.00 is showback" in n for n in notes), notes
    assert d(rows["HQ"]["Absorbed"]) == Decimal("500.00")


def test_charges(closed):
    charges = table(closed["Charges"])
    key = {(c["Unit"], c["Consumer"], c["Method"], c["Service"]): c for c in charges}
    assert len(charges) == 9
    cpu = key[("DC", "C-ALT", "usage", "CPU")]
    assert d(cpu["Rate"]) == Decimal("0.06") and d(cpu["Quantity"]) == 10000
    assert d(cpu["Amount"]) == Decimal("600.00")
    assert d(key[("DC", "LAB1", "usage", "CPU")]["Amount"]) == Decimal("200.00")
    assert d(key[("DC", "LAB1", "driver", None)]["Amount"]) == Decimal("66.67")
    assert d(key[("DC", "LAB2", "driver", None)]["Amount"]) == Decimal("133.33")
    assert d(key[("ALT", "LAB1", "driver", None)]["Amount"]) == Decimal("30200.00")
    assert d(key[("ALT", "LAB2", "driver", None)]["Amount"]) == Decimal("60400.00")
    assert d(key[("LAB", "LAB1", "usage", "PROTO")]["Amount"]) == Decimal("1000.00")
    assert d(key[("WW", "LINE1", "fixed", None)]["Amount"]) == Decimal("30000.00")
    assert d(key[("WW", "LINE2", "fixed", None)]["Amount"]) == Decimal("20000.00")


def test_journal(closed):
    lines = table(closed["Journal"])
    assert {line["Unit"] for line in lines} == {"DC", "ALT", "WW"}  # LAB is showback
    by = {(line["Unit"], line["Account"]): line for line in lines}
    assert d(by[("DC", "6900-ALT")]["Debit"]) == Decimal("600.00")
    assert d(by[("DC", "6100-001")]["Debit"]) == Decimal("266.67")
    assert d(by[("DC", "6100-002")]["Debit"]) == Decimal("133.33")
    assert d(by[("DC", "4900-DC")]["Credit"]) == Decimal("1000.00")
    assert d(by[("ALT", "4900-ALT")]["Credit"]) == Decimal("90600.00")
    assert d(by[("WW", "6200-001")]["Debit"]) == Decimal("30000.00")
    for line in lines:
        assert line["Period"] == "2026-03" and line["Currency"] == "USD"
    debits = sum(d(line["Debit"] or 0) for line in lines)
    credits = sum(d(line["Credit"] or 0) for line in lines)
    assert debits == credits == Decimal("141600.00")


def test_unit_sheets(closed):
    ww = {r["Criterion"]: r for r in table(closed["WW"])}
    assert set(ww) == {"cost_per_seat", "availability", "first_day_fix"}  # v1, not v2
    assert d(ww["cost_per_seat"]["Actual"]) == 50 and one_decimal(ww["cost_per_seat"]["Score"]) == 75
    assert one_decimal(ww["availability"]["Score"]) == 80
    assert one_decimal(ww["first_day_fix"]["Score"]) == 100
    alt = {r["Criterion"]: r for r in table(closed["ALT"])}
    assert one_decimal(alt["csat"]["Score"]) == 100
    assert one_decimal(alt["turnaround"]["Score"]) == 76
    assert one_decimal(alt["on_budget"]["Score"]) == 70
    assert alt["spend_per_seat"]["Score"] is None
    assert alt["spend_per_seat"]["Note"] == "missing measure seats"
    lab = {r["Criterion"]: r for r in table(closed["LAB"])}
    assert one_decimal(lab["prototypes"]["Score"]) == 75
    assert one_decimal(lab["time_to_market"]["Score"]) == 80


def test_period_is_frozen_and_stored(closed, session, runner, tmp_path):
    assert session.get(Period, "2026-03").status == "closed"
    assert session.scalar(select(func.count()).select_from(Charge)) == 9
    assert session.scalar(select(func.count()).select_from(Rating)) == 3
    again = runner.invoke(args=["close", "2026-03"])
    assert again.exit_code == 1 and "already closed" in again.stderr
    late_usage = tmp_path / "late.csv"
    late_usage.write_text("period,consumer_code,service_code,quantity\n2026-03,LAB2,CPU,5\n")
    late = runner.invoke(args=["import", "usage", str(late_usage), "--replace"])
    assert late.exit_code == 1 and "period 2026-03 is closed" in late.stderr
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 10


def test_pack_again_has_the_same_figures(closed, runner, tmp_path):
    out = tmp_path / "again.xlsx"
    run(runner, "pack", "2026-03", "--out", str(out))
    again = openpyxl.load_workbook(out)
    for name in closed.sheetnames:
        if name == "Cover":
            continue
        assert table(again[name]) == table(closed[name]), name


def test_reopen_and_close_again_writes_r2(closed, runner, app, session):
    pack_dir = Path(app.config["CHARGEBACK_PACK_DIR"])
    refused = runner.invoke(args=["reopen", "2026-03"])
    assert refused.exit_code == 2  # --reason is required
    run(runner, "reopen", "2026-03", "--reason", "late usage from DC")
    result = run(runner, "close", "2026-03")
    assert result.stdout.strip().endswith("chargeback-2026-03-r2.xlsx")
    assert (pack_dir / "chargeback-2026-03.xlsx").exists()
    assert (pack_dir / "chargeback-2026-03-r2.xlsx").exists()
    assert session.scalar(select(func.count()).select_from(Charge)) == 9


def test_a_later_change_of_settings_leaves_a_closed_month_as_it_was(closed, runner, session,
                                                                     tmp_path):
    """Band limits and currency are kept with the close: the pack written again agrees."""
    from chargeback.services.settings import set_currency, set_thresholds

    set_thresholds(session, Decimal("95"), Decimal("88"), Decimal("50"), "test")
    set_currency(session, "EUR", "test")
    session.commit()
    out = tmp_path / "again.xlsx"
    run(runner, "pack", "2026-03", "--out", str(out))
    again = openpyxl.load_workbook(out)
    rows = {r["Unit"]: r for r in table(again["Portfolio"])}
    assert rows["GRP"]["Band"] == "meets"  # 86.8 would be "watch" under the new limits
    cover = {r["Item"]: r["Value"] for r in table(again["Cover"])}
    assert cover["Currency"] == "USD"


def test_usage_is_rated_once_per_consumer_and_service(runner, session, tmp_path):
    """Usage of one consumer and service in several lines and batches is one charge line,
    rounded once: three lines of 0.25 core-hour at 0.06 are 0.045 -> 0.05 (rounded per
    line they would be 3 x 0.02 = 0.06). The lines stay stored as imported."""
    from chargeback.models import UsageLine

    load_company(runner)
    more = tmp_path / "more-usage.csv"
    more.write_text("period,consumer_code,service_code,quantity\n"
                    "2026-03,LAB2,CPU,0.25\n2026-03,LAB2,CPU,0.25\n")
    run(runner, "import", "usage", str(more))
    last = tmp_path / "last-usage.csv"
    last.write_text("period,consumer_code,service_code,quantity\n2026-03,LAB2,CPU,0.25\n")
    run(runner, "import", "usage", str(last))
    pack = openpyxl.load_workbook(Path(run(runner, "close", "2026-03").stdout.strip()
                                       .splitlines()[-1]))
    lab2 = [c for c in table(pack["Charges"])
            if (c["Unit"], c["Consumer"], c["Method"]) == ("DC", "LAB2", "usage")]
    assert [(d(c["Quantity"]), d(c["Amount"])) for c in lab2] == [
        (Decimal("0.75"), Decimal("0.05"))]
    stored = session.execute(select(Charge.quantity, Charge.amount)
                             .where(Charge.method == "usage", Charge.rate == Decimal("0.06"),
                                    Charge.amount < 1)).all()
    assert stored == [(Decimal("0.75"), Decimal("0.05"))]
    assert session.scalar(select(func.count()).select_from(UsageLine)) == 6
