"""The units index and a unit's page on the end-to-end company (2026-03 closed): spend
against budget by cost pool, charges by consumer and service, each period's rating
explained, services and rate cards; scope, pagination and bad input.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from chargeback.models import Charge, Consumer, ConsumerSnapshot, Unit
from chargeback.services.users import create_user
from tests.chargeback.test_close_end_to_end import DATA, run
from tests.chargeback.test_read_model import close_april
from tests.chargeback.web.conftest import PASSWORD, sign_in
from tests.chargeback.web.test_portfolio import (
    assert_csp_clean,
    client_factory,
    get,
    json_block,
    rows_by_code,
    table,
    text,
)
from tests.conftest import FAST_HASH


@pytest.fixture
def client_as(app, users):
    return client_factory(app)


def test_units_index_shows_the_tree_the_user_may_see(company, client_as):
    page = get(client_as("finance"), "/units")
    rows = table(page, "units-table")
    assert [r[0] for r in rows[1:]] == ["HQ", "DC", "GRP", "ALT", "LAB", "WW"]
    by = rows_by_code(page, "units-table")
    assert by["ALT"][5:7] == ["87.0", "meets"] and by["DC"][5:7] == ["—", "unrated"]
    assert by["ALT"][7] == "View scorecard of ALT"  # finance reads, does not edit
    assert by["LAB"][3] == "showback"
    assert 'href="/units/WW"' in page
    head = get(client_as("unit_head"), "/units")
    assert [r[0] for r in table(head, "units-table")[1:]] == ["GRP", "ALT", "LAB"]
    assert "My units" in head and 'href="/units/WW"' not in head
    assert_csp_clean(page)


def test_unit_page_spend_against_budget_by_cost_pool(company, client_as):
    page = get(client_as("finance"), "/units/ALT")
    rows = table(page, "spend-table")
    assert rows[0] == ["Period", "labor", "Internal received", "Spend", "Budget",
                       "Over (−under) budget", "Charged"]
    assert rows[1] == ["2026-03", "90,000.00 USD", "600.00 USD", "90,600.00 USD", "88,000.00 USD", "2,600.00 USD",
                       "90,600.00 USD"]
    chart = json_block(page, "spend-data")
    assert chart == {"periods": ["2026-03"], "pools": [{"code": "labor", "values": ["90000.00"]}],
                     "internal": ["600.00"], "budget": ["88000.00"]}
    dc = table(get(client_as("central_it"), "/units/DC"), "spend-table")
    assert dc[1] == ["2026-03", "1,000.00 USD", "0.00 USD", "1,000.00 USD", "—", "—", "1,000.00 USD"]
    assert_csp_clean(page)
    assert 'src="/static/charts.js"' in page


def test_unit_page_explains_each_periods_rating(company, client_as):
    words = text(get(client_as("finance"), "/units/ALT"))
    assert "2026-03 : 87.0 meets scorecard version 1, from 2026-01" in words
    for line in ("researcher_csat = 4.6; higher is better; linear from 3.5 (0) to 4.5 (100): "
                 "100.0 (clamped)",
                 "turnaround_days = 3.2; lower is better; linear from 7 (0) to 2 (100): 76.0",
                 "Spend within budget", "spend / seats: not rated (missing measure seats)",
                 "not rated: missing measure seats"):
        assert line in words, line
    ww = text(get(client_as("finance"), "/units/WW"))
    assert "desktop_spend / seats = 50; lower is better; linear from 65 (0) to 45 (100): 75.0" \
        in ww
    assert "2026-03 : 80.8 meets" in ww
    dc = text(get(client_as("finance"), "/units/DC"))
    assert "2026-03 : not rated (no scorecard in force)" in dc


def test_unit_page_charges_by_consumer_and_service(company, client_as):
    page = get(client_as("finance"), "/units/DC?period=2026-03")
    consumers = rows_by_code(page, "by-consumer")
    assert consumers["C-ALT"][1:] == ["Altoona computing", "6900-ALT", "1", "600.00 USD"]
    assert consumers["LAB1"][3:] == ["2", "266.67 USD"]
    assert consumers["LAB2"][3:] == ["1", "133.33 USD"]
    services = rows_by_code(page, "by-service")
    assert services["CPU Compute"][1:] == ["13,333.333 core-hour", "2", "800.00 USD"]
    assert services["driver split"][1:] == ["—", "2", "200.00 USD"]
    assert "1,000.00 USD in all" in text(page)
    lab = text(get(client_as("finance"), "/units/LAB"))
    assert "showback: shown to consumers, not posted to the ledger" in lab


def test_unit_page_services_and_rate_cards(company, client_as):
    """A closed month shows the price it was rated at, not today's rate card (which has a
    later price from 2026-06 that does not concern March)."""
    page = get(client_as("finance"), "/units/DC")
    rows = rows_by_code(page, "services-table")
    assert rows["CPU"][1:3] == ["Compute", "core-hour"]
    assert rows["CPU"][3] == "2026-03: 0.06 USD"
    assert rows["CPU"][4] == "0.06 USD"  # in force in 2026-03
    assert "WW offers no priced service" in text(get(client_as("finance"), "/units/WW"))


def test_unit_page_over_two_closed_periods(company, client_as, runner, tmp_path):
    close_april(runner, tmp_path)
    client = client_as("finance")
    page = get(client, "/units/ALT")
    rows = table(page, "spend-table")
    assert rows[0][1:3] == ["labor", "travel"]
    assert [r[0] for r in rows[1:]] == ["2026-03", "2026-04"]
    assert rows[2][1:3] == ["80,000.00 USD", "5,000.00 USD"]
    assert 'id="rating-2026-04" open' in page
    assert re.search(r'id="rating-2026-03"\s*>', page)  # folded: not the chosen period
    march = get(client, "/units/ALT?period=2026-03")
    assert [r[0] for r in table(march, "spend-table")[1:]] == ["2026-03"]
    assert 'id="rating-2026-03" open' in march


def test_charge_lines_are_paginated(company, client_as, session):
    dc = session.scalar(select(Unit.id).where(Unit.code == "DC"))
    lab1 = session.scalar(select(Consumer.id).where(Consumer.code == "LAB1"))
    session.add_all(Charge(period="2026-03", unit_id=dc, consumer_id=lab1, method="fixed",
                           basis=f"test line {n}", amount=Decimal("1.00")) for n in range(120))
    session.commit()
    client = client_as("finance")
    first = get(client, "/units/DC/charges?period=2026-03")
    assert len(table(first, "charge-lines")) == 51  # header + 50
    assert "124 charge lines" in text(first) and "Page 1 of 3" in text(first)
    assert "service CPU at 0.060000 per core-hour" in text(first)
    last = get(client, "/units/DC/charges?period=2026-03&page=3")
    assert len(table(last, "charge-lines")) == 25
    for bad in ("abc", "0", "-4", "999", "1.5", ""):
        page = get(client, f"/units/DC/charges?page={bad}")
        assert "Charges of DC · 2026-03" in text(page), bad
    assert len(table(get(client, "/units/DC/charges?page=999"), "charge-lines")) == 25
    consumers = get(client, "/units/DC?page=abc")
    assert rows_by_code(consumers, "by-consumer")["LAB1"][3:] == ["122", "386.67 USD"]


def test_many_consumers_are_paginated(company, client_as, session, runner, tmp_path):
    rows = "\n".join(f"X{n:03d},Consumer {n},6100-{n:03d}," for n in range(60))
    path = tmp_path / "consumers.csv"
    path.write_text((DATA / "consumers.csv").read_text() + rows + "\n")
    run(runner, "import", "consumers", str(path))
    ww = session.scalar(select(Unit.id).where(Unit.code == "WW"))
    ids = dict(session.execute(select(Consumer.code, Consumer.id)).all())
    session.add_all(Charge(period="2026-03", unit_id=ww, consumer_id=ids[f"X{n:03d}"],
                           method="fixed", basis="test", amount=Decimal("2.00"))
                    for n in range(60))
    session.add_all(ConsumerSnapshot(period="2026-03", consumer_id=ids[f"X{n:03d}"],
                                     code=f"X{n:03d}", name=f"Consumer {n}",
                                     gl_account=f"6100-{n:03d}") for n in range(60))
    session.commit()
    client = client_as("finance")
    first = get(client, "/units/WW")
    assert len(table(first, "by-consumer")) == 51 and "62 consumers" in text(first)
    second = get(client, "/units/WW?page=2")
    assert list(rows_by_code(second, "by-consumer")) == [f"X{n:03d}" for n in range(48, 60)]
    assert 'href="/units/WW?page=1&amp;period=2026-03"' in second


def test_scope_of_a_unit_head(company, client_as):
    client = client_as("unit_head")  # GRP, ALT, LAB
    for code in ("GRP", "ALT", "LAB"):
        get(client, f"/units/{code}")
        get(client, f"/units/{code}/charges")
    for code in ("WW", "DC", "HQ"):
        get(client, f"/units/{code}", 403)
        get(client, f"/units/{code}/charges", 403)


def test_bad_codes_and_periods_never_fail(company, client_as):
    client = client_as("finance")
    get(client, "/units/NOPE", 404)
    get(client, "/units/NOPE/charges", 404)
    get(client, "/units/%00", 404)
    get(client, "/units/" + "x" * 300, 404)
    page = get(client, "/units/ALT?period=2099-01")
    assert "2099-01 is not a closed period: showing 2026-03" in page
    assert "90,600.00" in page
    get(client, "/units/ALT?period=%00&page=%00")
    get(client, "/units/ALT/charges?period=zzz&page=-1")


def test_no_closed_period_yet(app, session, runner):
    run(runner, "import", "units", str(DATA / "units.csv"))
    run(runner, "import", "services", str(DATA / "services.csv"))
    run(runner, "import", "rates", str(DATA / "rates.csv"))
    create_user(session, "fin@example.com", "finance", PASSWORD, "test", [], hash_method=FAST_HASH)
    session.commit()
    client = sign_in(app.test_client(), "finance")
    page = get(client, "/units/DC")
    assert "No closed period yet" in page and 'href="/periods"' in page
    assert rows_by_code(page, "services-table")["CPU"][4] == "0.07 USD"  # latest rate card
    assert "No closed period yet" in get(client, "/units/DC/charges")
    index = get(client, "/units")
    assert "No period is closed yet" in index
    assert [r[0] for r in table(index, "units-table")[1:]] == ["HQ", "DC", "GRP", "ALT", "LAB",
                                                               "WW"]
