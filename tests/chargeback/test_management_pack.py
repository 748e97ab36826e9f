"""The management pack (issue 11) on the end-to-end company over three months, figures
worked by hand, read back by header name.

March is closed with fiscal years starting in January (the default) and February never
closed; then central IT moves the fiscal year start to April, and April and May close.
WW is the unit to follow: it receives no internal charge, so its figures are its own lines.

| month | WW spend | WW budget | WW variance | fiscal year | WW YTD spend / budget |
|---|---:|---:|---:|---|---|
| 2026-03 | 50,000.00 | 52,000.00 | -2,000.00 | Jan start: Jan, Feb not closed | 50,000 / 52,000 |
| 2026-04 | 48,000.00 | 52,000.00 | -4,000.00 | Apr start: the year starts here | 48,000 / 52,000 |
| 2026-05 | 51,000.00 | 50,000.00 | +1,000.00 | Apr start: Apr + May | 99,000 / 102,000 |

LAB and DC have no budget in March and April, so GRP and HQ have none either; in May every
unit, groups included, has one, so the group budgets are on the basis of their spend.
"""

from __future__ import annotations

import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from chargeback.services import packs, settings
from chargeback.services.queries import closed_month
from reports.sheets.differences import JUDGED_BY_EACH_OTHER
from tests.chargeback.helpers import closed_company, write_csv
from tests.chargeback.test_close_end_to_end import one_decimal, run, table

D = Decimal
SPEND = {"2026-04": "48000.00", "2026-05": "51000.00"}


def close_month(runner, folder, period: str, budgets: str, usage: str = "") -> None:
    spend = f"""
period,unit_code,cost_pool,amount
{period},DC,compute,1000.00
{period},ALT,labor,80000.00
{period},LAB,labor,1500.00
{period},WW,desktop,{SPEND[period]}
"""
    files = {
        "spend": spend,
        "budget": "period,unit_code,amount\n" + budgets,
        "drivers": f"period,consumer_code,driver,quantity\n{period},LAB1,headcount,1\n"
                   f"{period},LAB2,headcount,1\n",
        "metrics": f"""
period,unit_code,measure,value
{period},ALT,researcher_csat,4.4
{period},ALT,turnaround_days,3.0
{period},WW,desktop_spend,{SPEND[period]}
{period},WW,seats,1000
""",
    }
    if usage:
        files["usage"] = "period,consumer_code,service_code,quantity\n" + usage
    for kind, text in files.items():
        run(runner, "import", kind, str(write_csv(folder, f"{kind}-{period}.csv", text)))
    run(runner, "close", period)


@pytest.fixture
def three_months(runner, app, session, tmp_path):
    closed_company(runner)
    settings.set_fiscal_year_start(session, 4, "cfo@example.com")
    session.commit()
    close_month(runner, tmp_path, "2026-04", "2026-04,ALT,88000.00\n2026-04,WW,52000.00\n")
    close_month(runner, tmp_path, "2026-05",
                "2026-05,ALT,86000.00\n2026-05,WW,50000.00\n2026-05,DC,1200.00\n"
                "2026-05,LAB,1400.00\n2026-05,GRP,0.00\n2026-05,HQ,0.00\n",
                usage="2026-05,C-ALT,CPU,10000\n")  # 600.00 of DC's compute to ALT
    return app


def workbook(session, period: str) -> openpyxl.Workbook:
    """The month's pack as ``chargeback pack`` writes it, read back."""
    with tempfile.TemporaryDirectory() as folder:
        path = packs.write(session, period, Path(folder) / "pack.xlsx", "USD").path
        return openpyxl.load_workbook(path)


def by_unit(book, sheet: str = "Portfolio") -> dict[str, dict]:
    return {row["Unit"]: row for row in table(book[sheet])}


def money(value) -> Decimal:
    return D(str(value)).quantize(D("0.01"))


def test_ytd_follows_the_fiscal_year_each_month_closed_with(three_months, session):
    march, april, may = (by_unit(workbook(session, p))["WW"]
                         for p in ("2026-03", "2026-04", "2026-05"))
    # March closed with January starts; February never closed and counts nothing.
    assert (money(march["YTD spend"]), money(march["YTD budget"]),
            money(march["YTD variance"])) == (D("50000.00"), D("52000.00"), D("-2000.00"))
    # April is the first month of a fiscal year starting in April: March is not in it.
    assert (money(april["YTD spend"]), money(april["YTD budget"]),
            money(april["YTD variance"])) == (D("48000.00"), D("52000.00"), D("-4000.00"))
    assert (money(may["YTD spend"]), money(may["YTD budget"]),
            money(may["YTD variance"])) == (D("99000.00"), D("102000.00"), D("-3000.00"))
    assert money(may["Variance"]) == D("1000.00")
    assert may["Variance %"] == pytest.approx(2.0)  # 1,000 over a budget of 50,000


def test_prior_columns_are_empty_when_the_prior_month_never_closed(three_months, session):
    march = workbook(session, "2026-03")
    ww = by_unit(march)["WW"]
    assert ww["Prior spend"] is None and ww["Prior attainment"] is None
    notes = [r["Value"] for r in table(march["Cover"]) if str(r["Item"]).startswith("Note")]
    assert any("2026-02 had not closed" in n for n in notes), notes
    april = by_unit(workbook(session, "2026-04"))["WW"]
    assert money(april["Prior spend"]) == D("50000.00")
    assert one_decimal(april["Prior attainment"]) == D("80.8")  # March's, scoring.md


def test_a_unit_without_budget_leaves_its_groups_without_one(three_months, session):
    april = workbook(session, "2026-04")
    rows = by_unit(april)
    assert rows["LAB"]["Budget"] is None and rows["LAB"]["Variance"] is None
    for group in ("GRP", "HQ"):
        assert rows[group]["Budget"] is None and rows[group]["Variance"] is None, group
        assert rows[group]["YTD budget"] is None
    notes = " ".join(str(r["Value"]) for r in table(april["Cover"])
                     if str(r["Item"]).startswith("Note"))
    assert "No budget for 2026-04: DC, GRP, HQ, LAB" in notes
    assert "groups above them (GRP, HQ)" in notes


def test_a_groups_budget_and_variance_reconcile_to_its_units(three_months, session):
    rows = by_unit(workbook(session, "2026-05"))
    units = ("HQ", "DC", "GRP", "ALT", "LAB", "WW")
    own_budget = {"HQ": D(0), "DC": D("1200"), "GRP": D(0), "ALT": D("86000"),
                  "LAB": D("1400"), "WW": D("50000")}
    hq = rows["HQ"]
    eliminated = money(hq["Internal eliminated"])
    assert eliminated == D("600.00")  # DC's compute sold to ALT: 10,000 CPU at 0.06
    assert money(hq["Budget"]) == sum(own_budget.values()) - eliminated
    leaves = [u for u in units if u not in ("HQ", "GRP")]
    assert money(hq["Variance"]) == sum(money(rows[u]["Variance"]) for u in leaves)
    assert money(rows["GRP"]["Variance"]) == sum(money(rows[u]["Variance"])
                                                 for u in ("ALT", "LAB"))
    assert money(hq["Showback"]) == money(rows["LAB"]["Charged"])  # LAB bills nothing


def test_summary_trend_and_why_they_differ(three_months, session):
    may = workbook(session, "2026-05")
    summary = table(may["Summary"])
    headline = {(r["Unit"], r["Figure"]): r for r in summary if r["Section"] == "Headline"}
    assert {u for u, _ in headline} == {"HQ", "GRP"}
    spend = headline[("HQ", "Spend")]
    portfolio = by_unit(may)
    assert money(spend["Value"]) == money(portfolio["HQ"]["Spend"])
    assert money(spend["Before"]) == money(portfolio["HQ"]["Prior spend"])
    assert money(spend["Change"]) == money(spend["Value"]) - money(spend["Before"])
    assert may["Summary"].cell(row=2, column=5).number_format == "#,##0.00"
    moved = {(r["Unit"], r["Figure"]): r for r in summary if r["Section"] == "What changed"}
    ww = moved[("WW", "Spend")]
    assert (money(ww["Value"]), money(ww["Before"]), money(ww["Change"])) == (
        D("51000.00"), D("48000.00"), D("3000.00"))
    trend = [r for r in table(may["Trend"]) if r["Unit"] == "WW"]
    assert [(r["Period"], money(r["Spend"]), money(r["Variance"])) for r in trend] == [
        ("2026-03", D("50000.00"), D("-2000.00")), ("2026-04", D("48000.00"), D("-4000.00")),
        ("2026-05", D("51000.00"), D("1000.00"))]
    rows = table(may["Why they differ"])
    why = {r["Unit"]: r for r in rows if r["Name"] != JUDGED_BY_EACH_OTHER}
    assert set(why) == {"DC", "GRP", "WW", "ALT", "LAB"}
    # then one line per pair of siblings of different models (tests/chargeback/test_yardsticks.py)
    assert [r["Unit"] for r in rows[len(why):]] == ["DC / GRP", "GRP / WW", "ALT / LAB"]
    assert why["WW"]["Group"] == "HQ" and why["ALT"]["Group"] == "GRP"
    alt = why["ALT"]["Explanation"]
    assert "customer intimacy" in alt and "product leadership" in alt
    assert "neither ranks above the other" in alt
    assert why["ALT"]["Weighs most"]


def test_charts_are_native_and_point_at_the_tables(three_months, session, tmp_path):
    path = packs.write(session, "2026-05", tmp_path / "may.xlsx", "USD").path
    with zipfile.ZipFile(path) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = " ".join(archive.read(n).decode() for n in charts)
        assert not [n for n in archive.namelist() if n.startswith("xl/media/")]  # no pictures
    assert len(charts) == 3
    for title in ("Spend against budget by unit", "band limits", "the last 3 closed months"):
        assert title in xml
    assert "'Why they differ'!$F$2:$F$6" in xml and "'Trend'!$D$2:$D$4" in xml
    assert "'Why they differ'!$P$2:$P$6" in xml  # Meets from, beside the attainment bars


def test_a_revision_lists_the_reopening_and_every_changed_figure(three_months, session,
                                                                  runner, tmp_path):
    before_may = packs.build(session, "2026-05", "USD")
    run(runner, "reopen", "2026-04", "--reason", "Vendor credit on WW desktops")
    credit = write_csv(tmp_path, "credit.csv", "period,unit_code,cost_pool,amount,description\n"
                                               "2026-04,WW,desktop,-2000.00,Vendor credit\n")
    run(runner, "import", "spend", str(credit))
    run(runner, "close", "2026-04")
    april = workbook(session, "2026-04")
    rows = table(april["Summary"])
    reopened = next(r for r in rows if r["Figure"] == "Reopened")
    assert reopened["Value"] == "revision 2"
    assert "Vendor credit on WW desktops" in reopened["Detail"]
    revised = {(r["Unit"], r["Figure"]): r for r in rows if r["Section"] == "Revision"}
    ww = revised[("WW", "Spend")]
    assert (money(ww["Before"]), money(ww["Value"]), money(ww["Change"])) == (
        D("48000.00"), D("46000.00"), D("-2000.00"))
    assert ("WW", "Variance") in revised and ("HQ", "Spend") in revised
    assert ("ALT", "Spend") not in revised  # unchanged figures are not listed
    credit_row = next(r for r in rows if r["Figure"] == "Credit")
    assert credit_row["Unit"] == "WW" and money(credit_row["Value"]) == D("-2000.00")
    assert "Vendor credit" in credit_row["Detail"]
    # May closed before April's second close: it keeps the April it was closed with.
    after_may = packs.build(session, "2026-05", "USD")
    assert after_may.portfolio == before_may.portfolio
    assert after_may.summary == before_may.summary
    assert after_may.trend == before_may.trend
    assert money(by_unit(workbook(session, "2026-05"))["WW"]["Prior spend"]) == D("48000.00")


def test_a_closed_month_keeps_the_fiscal_year_it_closed_with(three_months, session):
    month = closed_month.load(session, "2026-03", "USD")
    assert month.fiscal_year_start == 1  # closed before central IT moved it to April
    assert closed_month.load(session, "2026-05", "USD").fiscal_year_start == 4
