"""The read model on the end-to-end company (HQ > {DC, GRP > {ALT, LAB}, WW}).

The figures are the hand-computed ones of ``test_close_end_to_end``; here they are read
back through ``services.queries``, which the pack, the web pages and the API share, and the
comparison of two units is checked to explain, never to rank.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from chargeback.models import Unit
from chargeback.services import packs
from chargeback.services.queries import (
    catalog,
    charges,
    closed_month,
    history,
    periods,
    ratings,
    spend,
)
from chargeback.services.queries import portfolio as service
from rules.tree import subtree, tree_order
from tests.chargeback.helpers import closed_company, write_csv
from tests.chargeback.test_close_end_to_end import one_decimal, run


def close_april(runner, folder) -> None:
    """A second month: ALT's csat drops, so its attainment moves; WW's v2 scorecard applies."""
    files = {
        "spend": """
period,unit_code,cost_pool,amount
2026-04,DC,compute,1000.00
2026-04,ALT,labor,80000.00
2026-04,ALT,travel,5000.00
2026-04,LAB,labor,1500.00
2026-04,WW,desktop,48000.00
""",
        "budget": "period,unit_code,amount\n2026-04,ALT,88000.00\n2026-04,WW,52000.00\n",
        "drivers": "period,consumer_code,driver,quantity\n2026-04,LAB1,headcount,1\n"
                   "2026-04,LAB2,headcount,1\n",
        "metrics": """
period,unit_code,measure,value
2026-04,ALT,researcher_csat,4.0
2026-04,ALT,turnaround_days,3.2
2026-04,WW,desktop_spend,48000
2026-04,WW,seats,1000
""",
    }
    for kind, text in files.items():
        run(runner, "import", kind, str(write_csv(folder, f"{kind}-2026-04.csv", text)))
    run(runner, "close", "2026-04")


@pytest.fixture
def company(runner, app):
    closed_company(runner)
    return app


def test_rows_hold_the_hand_computed_figures_in_tree_order(company, session):
    rows, notes = service.rows(closed_month.load(session, "2026-03", "USD"))
    assert [r.unit for r in rows] == ["HQ", "DC", "GRP", "ALT", "LAB", "WW"]
    by = {r.unit: r for r in rows}
    assert by["ALT"].spend == Decimal("90600.00") and by["ALT"].budget == Decimal("88000.00")
    assert one_decimal(by["ALT"].attainment) == Decimal("87.0") and by["ALT"].band == "meets"
    assert one_decimal(by["WW"].attainment) == Decimal("80.8")
    assert one_decimal(by["LAB"].attainment) == Decimal("77.5")
    assert one_decimal(by["LAB"].recovery_pct) == Decimal("66.7")
    assert one_decimal(by["HQ"].attainment) == Decimal("84.7")
    assert by["GRP"].is_group and by["GRP"].spend == Decimal("92100.00")
    assert by["GRP"].charged == Decimal("91600.00")
    assert by["HQ"].internal_eliminated == Decimal("600.00")
    assert by["GRP"].band_counts["meets"] == 2 and by["GRP"].band_counts["unrated"] == 1
    assert by["DC"].attainment is None and by["DC"].band == "unrated"
    assert "Internal charges between units: 600.00" in notes[1]


def test_the_pack_takes_its_portfolio_from_the_same_function(company, session):
    pack = packs.build(session, "2026-03", "USD")
    month = closed_month.load(session, "2026-03", "USD")
    rows, notes = service.rows(month)
    assert pack.portfolio == history.with_history(rows, history.load(session, month, rows))
    assert [replace(r, ytd_spend=None, ytd_budget=None, ytd_variance=None) for r in
            pack.portfolio] == list(rows)  # only the history columns are added
    assert pack.notes[:len(notes)] == notes
    assert [s.unit for s in pack.scorecards] == ["ALT", "LAB", "WW"]


def test_own_attainment_of_a_group_is_its_own_rating_not_the_roll_up(company, session):
    rows, _ = service.rows(closed_month.load(session, "2026-03", "USD"))
    by = {r.unit: r for r in rows}
    assert service.own_attainment(by["GRP"]) == (None, "unrated")  # no scorecard of its own
    value, band = service.own_attainment(by["ALT"])
    assert one_decimal(value) == Decimal("87.0") and band == "meets"


def test_tree_order_subtree_and_pick():
    parents = {"HQ": None, "GRP": "HQ", "ALT": "GRP", "LAB": "GRP", "WW": "HQ", "DC": "HQ"}
    assert tree_order(parents) == [("HQ", 0), ("DC", 1), ("GRP", 1), ("ALT", 2),
                                   ("LAB", 2), ("WW", 1)]
    part = {code: parents[code] for code in ("GRP", "ALT", "LAB")}  # a unit head's view
    assert tree_order(part) == [("GRP", 0), ("ALT", 1), ("LAB", 1)]
    assert subtree(parents, "GRP") == {"GRP", "ALT", "LAB"}
    assert subtree(parents, "WW") == {"WW"}


def test_filters_keep_tree_order_and_group_roll_ups(company, session):
    rows, _ = service.rows(closed_month.load(session, "2026-03", "USD"))
    picked = service.pick(rows, model="operational_excellence")
    assert [r.unit for r in picked] == ["HQ", "DC", "WW"]
    assert picked[0].spend == Decimal("142500.00")  # HQ keeps its whole-subtree roll-up
    within = subtree({r.unit: r.parent for r in rows}, "GRP")
    assert [r.unit for r in service.pick(rows, within=within)] == ["GRP", "ALT", "LAB"]
    assert [r.unit for r in service.pick(rows, visible={"ALT", "WW"})] == ["ALT", "WW"]


def test_compare_explains_in_the_terms_of_each_service_model(company, session):
    stored = closed_month.load(session, "2026-03", "USD")
    rows, _ = service.rows(stored)
    comparison = service.compare(session, stored, rows, "WW", "ALT")
    assert comparison.difference == Decimal("-40600.00")  # WW minus ALT
    first = comparison.sentences[0]
    assert first.startswith("Altoona R&D Computing (ALT) spends 40,600.00 more than Walla "
                            "Walla Plant IT (WW)")
    assert ("because it runs customer intimacy, and against its own scorecard it scores 87.0"
            in first)
    assert ("Walla Walla Plant IT (WW) runs operational excellence, and against its own "
            "scorecard it scores 80.8 (meets)") in comparison.sentences[1]
    assert "Researcher satisfaction" in comparison.sentences[2]
    assert "Desktop cost per seat" in comparison.sentences[2]
    assert "neither unit ranks above the other" in comparison.sentences[2]
    text = " ".join(comparison.sentences).lower()
    assert "winner" not in text and "better than" not in text
    alt = comparison.b.scorecard
    assert [c.key for c in alt.criteria] == ["csat", "turnaround", "on_budget", "spend_per_seat"]
    assert alt.criteria[3].score is None and alt.criteria[3].note == "missing measure seats"


def test_compare_with_the_same_model_and_unrated_units(company, session):
    stored = closed_month.load(session, "2026-03", "USD")
    rows, _ = service.rows(stored)
    same = service.compare(session, stored, rows, "DC", "WW")
    assert "both run operational excellence" in same.sentences[0]
    assert "Data Center (DC): it has no scorecard in force" in " ".join(same.sentences)
    group = service.compare(session, stored, rows, "GRP", "WW")
    assert "no scorecard of its own; its units, each against their own scorecards, roll up " \
           "to 86.8 (meets)" in group.sentences[0]


def test_unit_read_model(company, session):
    ids = dict(session.execute(select(Unit.code, Unit.id)).all())
    pools, months = spend.history(session, ids["ALT"], ["2026-03"])
    assert pools == ["labor"]
    march = months[0]
    assert march.pools == {"labor": Decimal("90000.00")}
    assert (march.internal, march.spend, march.budget) == (
        Decimal("600.00"), Decimal("90600.00"), Decimal("88000.00"))
    assert march.variance == Decimal("2600.00")
    consumers = {c.code: c for c in charges.by_consumer(session, "2026-03", ids["DC"])}
    assert consumers["C-ALT"].amount == Decimal("600.00")
    assert consumers["LAB1"].amount == Decimal("266.67") and consumers["LAB1"].lines == 2
    by_service = {c.code: c for c in charges.by_service(session, "2026-03", ids["DC"])}
    assert by_service["CPU"].quantity == Decimal("13333.333")
    assert by_service["CPU"].amount == Decimal("800.00")
    assert by_service[None].amount == Decimal("200.00") and by_service[None].quantity is None
    assert charges.count(session, "2026-03", ids["DC"]) == 4
    assert charges.consumer_totals(session, "2026-03", ids["DC"]) == (3, Decimal("1000.00"))
    assert len(charges.of_unit(session, "2026-03", ids["DC"], 2, 50)) == 2
    cpu = closed_month.services_of(session, "2026-03", "DC")[0]  # as the close froze it
    assert cpu.in_force.effective_from == "2026-03" and cpu.price_in_force() == Decimal("0.06")
    today = catalog.services(session, None, {ids["DC"]})[0]
    assert [r.effective_from for r in today.rates] == ["2026-01", "2026-03", "2026-06"]
    assert today.in_force.effective_from == "2026-06"
    assert catalog.services(session, "2026-03", {ids["DC"]})[0].price_in_force() == \
        Decimal("0.06")
    found = ratings.of_unit(session, ids["WW"], ["2026-03"])
    assert one_decimal(found["2026-03"].attainment) == Decimal("80.8")
    assert found["2026-03"].version == 1


def test_closed_periods_window_and_history(company, runner, session, tmp_path):
    close_april(runner, tmp_path)
    closed = periods.closed(session)
    assert closed == ["2026-04", "2026-03"]
    assert periods.window(closed, "2026-04") == ["2026-03", "2026-04"]
    assert periods.window(closed, "2026-03") == ["2026-03"]
    assert periods.window([f"2025-{m:02d}" for m in range(1, 13)] + closed, "2026-04") == (
        [f"2025-{m:02d}" for m in range(3, 13)] + ["2026-03", "2026-04"])
    found = ratings.history(session, ["2026-03", "2026-04"], ["ALT", "WW", "DC"])
    assert one_decimal(found["ALT"]["2026-03"][0]) == Decimal("87.0")
    assert found["ALT"]["2026-04"][0] < found["ALT"]["2026-03"][0]
    assert "DC" not in found
    run(runner, "reopen", "2026-04", "--reason", "late figures")
    assert periods.closed(session) == ["2026-03"]
