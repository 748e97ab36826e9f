"""A venture rated on milestones, runway and learning, its budget read as an envelope.

The end-to-end company (tests/chargeback/data/e2e) with LAB made a venture before 2026-03
is closed. Worked by hand (fiscal year from January):

- LAB's budget: 1,000.00 a month for 2026-01 .. 2026-12, so an envelope of 12,000.00;
  its spend in 2026-03 is 1,500.00 (staff), and no earlier month of the year was closed,
  so 1,500.00 spent to date, a burn of 1,500.00 and 9 months left after March;
- runway (12,000 - 1,500) / 1,500 = 7 months; projected 1,500 + 1,500 * 9 = 15,000.00,
  so the envelope's variance is 3,000.00 over (25.0 % of the envelope) where the month's
  would be 500.00 over;
- the venture template: milestones 3 / 4 = 0.75, linear 0.50 -> 1.00: 50 (weight 3);
  runway 7, linear 2 -> 6: 100, clamped (weight 2); learning 2 / 2 = 1.00: 100
  (weight 2); attainment (150 + 200 + 200) / 7 = 78.571... -> 78.6, meets.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from chargeback.models import Rating, Unit, UnitPeriodResult
from chargeback.services import packs, scorecards
from chargeback.services.queries import closed_month, history
from rules.scoring import scorecard_to_dict
from rules.templates import template_for
from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import load_company, one_decimal, run

D = Decimal


def make_lab_a_venture(runner, session, tmp_path) -> None:
    """LAB of the end-to-end company becomes a venture with a year's budget of 1,000.00 a
    month, its milestone and learning metrics and the venture template, and 2026-03 is
    closed: the figures these tests and the browser's check."""
    session.execute(update(Unit).where(Unit.code == "LAB").values(service_model_code="venture"))
    session.commit()
    budget = "period,unit_code,amount\n" + "".join(
        f"2026-{m:02d},LAB,1000.00\n" for m in range(1, 13))
    run(runner, "import", "budget", str(write_csv(tmp_path, "lab-budget.csv", budget)))
    metrics = ("period,unit_code,measure,value\n2026-03,LAB,milestones_met,3\n"
               "2026-03,LAB,milestones_planned,4\n2026-03,LAB,learning_goals_met,2\n"
               "2026-03,LAB,learning_goals_planned,2\n")
    run(runner, "import", "metrics", str(write_csv(tmp_path, "lab-metrics.csv", metrics)))
    card = scorecard_to_dict(template_for("venture", unit="LAB", effective_from="2026-03"))
    scorecards.save_version(session, card, "test", status="approved")
    session.commit()
    run(runner, "close", "2026-03")


@pytest.fixture
def venture(runner, app, session, tmp_path):
    load_company(runner)
    make_lab_a_venture(runner, session, tmp_path)
    return session.scalar(select(Unit.id).where(Unit.code == "LAB"))


def test_the_close_freezes_the_envelope_and_rates_the_venture(venture, session):
    result = session.scalar(select(UnitPeriodResult).where(
        UnitPeriodResult.unit_id == venture, UnitPeriodResult.period == "2026-03"))
    assert (result.envelope, result.envelope_spent, result.spend) == (
        D("12000.00"), D("1500.00"), D("1500.00"))
    others = session.scalars(select(UnitPeriodResult.envelope).where(
        UnitPeriodResult.unit_id != venture))
    assert set(others) == {None}  # only ventures have an envelope
    rating = session.scalar(select(Rating).where(Rating.unit_id == venture))
    scores = {r.key: (r.actual, r.score) for r in rating.results}
    assert scores["milestones"] == (D("0.75"), D(50))
    assert scores["runway"] == (D(7), D(100))
    assert scores["learning"] == (D(1), D(100))
    assert one_decimal(rating.attainment) == D("78.6") and rating.band == "meets"


def test_the_portfolio_shows_the_envelopes_variance_and_groups_stay_monthly(venture, session):
    month = closed_month.load(session, "2026-03", "USD")
    rows, notes, _ = history.portfolio_of(session, month)
    by_unit = {r.unit: r for r in rows}
    lab, grp = by_unit["LAB"], by_unit["GRP"]
    assert (lab.budget, lab.envelope, lab.variance, lab.variance_pct) == (
        D("1000.00"), D("12000.00"), D("3000.00"), D("25.0"))
    assert by_unit["ALT"].envelope is None and by_unit["ALT"].variance == D("2600.00")
    # the group keeps the month's basis (spend minus budget of its subtree; GRP has no
    # budget row of its own, so neither budget nor variance, as before LAB was a venture)
    assert grp.envelope is None and grp.budget is None and grp.variance is None
    assert "LAB" not in grp.without_budget and "GRP" in grp.without_budget
    note = next(n for n in notes if n.startswith("LAB is a venture"))
    assert ("Envelope 12,000.00 for the fiscal year, 1,500.00 spent to date, 1,500.00 this "
            "month: at this burn the year ends 3,000.00 over the envelope, with 7.0 months "
            "of runway.") in note
    why = {r.unit: r for r in packs.build(session, "2026-03", "USD").differences}
    assert why["LAB"].variance == D("3000.00")


def test_a_later_budget_row_leaves_the_closed_month_alone(venture, session, runner, tmp_path):
    more = "period,unit_code,amount\n2026-06,LAB,5000.00\n"
    run(runner, "import", "budget", str(write_csv(tmp_path, "more.csv", more)))
    month = closed_month.load(session, "2026-03", "USD")
    assert month.money["LAB"].envelope == D("12000.00")
    rows, _, _ = history.portfolio_of(session, month)
    assert next(r for r in rows if r.unit == "LAB").variance == D("3000.00")


def test_a_venture_measure_cannot_be_imported(venture, runner, tmp_path):
    bad = "period,unit_code,measure,value\n2026-04,LAB,runway_months,99\n"
    result = runner.invoke(args=["import", "metrics", str(write_csv(tmp_path, "bad.csv", bad))])
    assert result.exit_code != 0
    assert "runway_months" in result.output + result.stderr
