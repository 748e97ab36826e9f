"""Property: a unit judged by its own scorecard through the what-if path is its stored rating.

Each example is a month of a one-unit company: random observed metrics (some absent), a
random budget (or none), and a random valid scorecard approved from that month; the month
is closed (the close rates the unit and stores the rating), then the unit is judged by the
scorecard it was rated with through ``yardsticks``. Attainment, band and every criterion's
actual, score, note and explanation must be the stored ones, exactly.
"""

from __future__ import annotations

import io
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from chargeback.models import Rating
from chargeback.services import closing, scorecards
from chargeback.services.importing import import_file
from chargeback.services.queries import closed_month, yardsticks
from rules.vocabulary import month_after

NAMES = ("m_a", "m_b", "m_c")
EXPRESSIONS = ("m_a", "m_b / m_c", "m_a + m_b", "spend / budget", "charged / spend",
               "m_c * 2 - m_a", "spend_pool_labor / m_b")
numbers = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999"), places=2)


@st.composite
def criteria(draw, key: str) -> dict:
    method = draw(st.sampled_from(("linear", "binary", "bands")))
    direction = draw(st.sampled_from(("higher", "lower")))
    found = {"key": key, "label": key.upper(), "expr": draw(st.sampled_from(EXPRESSIONS)),
             "direction": direction, "method": method, "weight": str(draw(numbers))}
    if method == "linear":
        low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2, unique=True)))
        target, floor = (high, low) if direction == "higher" else (low, high)
        found.update(target=str(target), floor=str(floor))
    elif method == "binary":
        found["target"] = str(draw(numbers))
    else:
        ats = draw(st.lists(numbers, min_size=1, max_size=3, unique=True))
        found["bands"] = [{"at": str(at), "score": str(draw(st.integers(0, 100)))}
                          for at in ats]
    return found


@st.composite
def months(draw) -> dict:
    count = draw(st.integers(1, 4))
    return {
        "criteria": [draw(criteria(f"c{i}")) for i in range(count)],
        "metrics": {name: draw(st.none() | numbers) for name in NAMES},
        "budget": draw(st.none() | numbers),
        "spend": draw(numbers),
    }


def _import(session, kind: str, text: str) -> None:
    result = import_file(session, kind, io.BytesIO(text.encode()), f"{kind}.csv", "test")
    assert result.ok, result.errors


@pytest.fixture
def one_unit(app, session):
    _import(session, "units", "code,name,parent_code,service_model\n"
                              "HQ,Central IT,,operational_excellence\n"
                              "U,A unit,HQ,customer_intimacy\n")
    session.commit()
    return itertools.count()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=months())
def test_own_scorecard_through_the_what_if_path_is_the_stored_rating(app, session, one_unit,
                                                                      tmp_path, data):
    period = "2030-01"
    for _ in range(next(one_unit)):
        period = month_after(period)
    _import(session, "spend", "period,unit_code,cost_pool,amount\n"
                              f"{period},U,labor,{data['spend']}\n")
    if data["budget"] is not None:
        _import(session, "budget", f"period,unit_code,amount\n{period},U,{data['budget']}\n")
    observed = [f"{period},U,{name},{value}" for name, value in data["metrics"].items()
                if value is not None]
    if observed:
        _import(session, "metrics", "period,unit_code,measure,value\n" + "\n".join(observed)
                + "\n")
    scorecards.save_version(session, {"unit": "U", "effective_from": period,
                                      "criteria": data["criteria"]}, "test",
                            status="approved")
    closing.close_period(session, period, "test", tmp_path, "USD")
    stored = session.scalar(select(Rating).where(Rating.period == period))
    book = yardsticks.Book(session, closed_month.load(session, period, "USD"))
    found = book.judge("U", book.other_scorecard("U"))
    assert (found.attainment, found.band) == (stored.attainment, stored.band)
    assert [(c.key, c.actual, c.score, c.note, c.explanation) for c in found.criteria] == [
        (c.key, c.actual, c.score, c.note, c.explanation) for c in stored.results]
    assert found.own.attainment == stored.attainment
    session.commit()
