"""The funding envelope of a venture, worked by hand (rules/envelope.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rules.envelope import Envelope, envelope_of, fiscal_year

D = Decimal


def test_fiscal_year_from_its_first_month():
    assert fiscal_year("2026-03", 1) == tuple(f"2026-{m:02d}" for m in range(1, 13))
    assert fiscal_year("2026-03", 7)[0] == "2025-07" and fiscal_year("2026-03", 7)[-1] == "2026-06"
    assert fiscal_year("2026-07", 7)[0] == "2026-07"


def test_a_lab_funded_120000_for_the_year():
    """Budget 10,000 a month from January (envelope 120,000); spent 8,000, 9,000, 13,000 in
    January to March. In March: spent 30,000, burn 13,000, 9 months left.
    Runway (120,000 - 30,000) / 13,000 = 6.923 months; projected 30,000 + 13,000 * 9 =
    147,000, variance 27,000 over the envelope (the monthly view would say 3,000 over)."""
    budgets = {f"2026-{m:02d}": D("10000.00") for m in range(1, 13)}
    spend = {"2026-01": D("8000.00"), "2026-02": D("9000.00"), "2026-03": D("13000.00"),
             "2025-12": D("99999.00")}  # the previous fiscal year does not count
    found = envelope_of("2026-03", 1, budgets, spend)
    assert found == Envelope(total=D("120000.00"), spent=D("30000.00"), burn=D("13000.00"),
                             months_left=9)
    assert found.remaining == D("90000.00")
    assert found.runway_months.quantize(D("0.001")) == D("6.923")
    assert found.projected == D("147000.00") and found.variance == D("27000.00")
    assert found.measures() == {"envelope": D("120000.00"), "envelope_spent": D("30000.00"),
                                "runway_months": found.runway_months}


def test_no_budget_no_envelope_and_no_burn_no_runway():
    assert envelope_of("2026-03", 1, {}, {"2026-03": D(1)}) is None
    idle = envelope_of("2026-03", 1, {"2026-06": D("5000.00")}, {})
    assert idle.total == D("5000.00") and idle.runway_months is None
    assert "runway_months" not in idle.measures()
    spent = Envelope(total=D(100), spent=D(150), burn=D(50), months_left=0)
    assert spent.runway_months == 0 and spent.variance == D(50)


@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=12, max_size=12),
       st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=12, max_size=12),
       st.integers(0, 11), st.integers(1, 12))
def test_at_the_years_last_month_the_variance_is_spend_against_envelope(
        budget, spend, index, start):
    """At the fiscal year's end nothing is projected: the envelope's variance is the year's
    spend minus the year's budgets, what the monthly variances add up to."""
    months = fiscal_year("2026-05", start)
    budgets, spends = dict(zip(months, budget, strict=True)), dict(zip(months, spend, strict=True))
    last = envelope_of(months[-1], start, budgets, spends)
    assert last.variance == sum(spend) - sum(budget)
    assert sum(s - b for s, b in zip(spend, budget, strict=True)) == last.variance
    some = envelope_of(months[index], start, budgets, spends)
    assert some.spent == sum(spend[:index + 1]) and some.months_left == 11 - index
