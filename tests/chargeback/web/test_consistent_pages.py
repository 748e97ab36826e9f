"""Money carries its currency, packs their revision, and every page tells one story: a
group's standing, an admin's own role, a unit head's single unit (issue 13, point 6)."""

from __future__ import annotations

import re

from sqlalchemy import select

from chargeback.models import User
from chargeback.services import settings
from tests.chargeback.web.conftest import csrf_from

NBSP = "\u00a0"
AMOUNT = re.compile(r">[ \n]*(-?\d{1,3}(?:,\d{3})*\.\d{2})(?!\d)([^<]*)")


def amounts(page: str) -> list[tuple[str, str]]:
    """Every money-looking figure that starts a cell or a line, with what follows it (a
    scorecard's bands, "1.00 -> 100", are values of a measure, not money)."""
    return [(figure, after) for figure, after in AMOUNT.findall(page)
            if not after.startswith(" -&gt;")]


def test_every_amount_on_the_pages_shows_its_currency(company, signed_in):
    client = signed_in("finance")
    for url in ("/portfolio", "/units/ALT", "/units/ALT/charges", "/statements",
                "/portfolio/compare?a=ALT&b=LAB", "/units/GRP"):
        page = client.get(url).get_data(as_text=True)
        found = amounts(page)
        assert found, url
        assert all(after.startswith(f"{NBSP}USD") for _, after in found), (url, found[:5])
    services = client.get("/units/ALT").get_data(as_text=True)
    assert re.search(rf"\d{NBSP}USD", services)


def test_a_closed_month_keeps_its_currency_when_the_setting_changes(company, signed_in,
                                                                   session):
    settings.set_currency(session, "EUR", "test")
    session.commit()
    client = signed_in("finance")
    march = client.get("/portfolio").get_data(as_text=True)
    assert f"90,600.00{NBSP}USD" in march and f"{NBSP}EUR" not in march
    assert "Amounts are in EUR" in client.get("/help/finance").get_data(as_text=True)


def test_pack_revisions_are_r1_r2_and_the_latest_is_marked(company, signed_in):
    client = signed_in("central_it")
    page = client.get("/periods").get_data(as_text=True)
    client.post("/periods/2026-03/reopen", data={"reason": "late usage",
                                                 "csrf_token": csrf_from(page)})
    assert client.post("/periods/2026-03/close",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    packs = client.get("/packs").get_data(as_text=True)
    revisions = re.findall(r'class="num pack-revision">([^<]*)<', packs)
    assert sorted(revisions) == ["r1", "r2"]
    kinds = [" ".join(re.sub(r"<[^>]+>", " ", k).split())
             for k in re.findall(r'class="pack-kind">(.*?)</td>', packs)]
    assert sorted(kinds) == ["final latest", "final, superseded by r2"]


def _band(page: str, row_id: str) -> str:
    row = re.search(rf'<tr id="{row_id}".*?</tr>', page, re.S).group(0)
    return re.findall(r'class="badge text-bg-\w+">(\w+)</span>', row)[-1]


def test_a_group_has_one_standing_on_every_page(company, signed_in):
    client = signed_in("finance")
    portfolio = client.get("/portfolio").get_data(as_text=True)
    units = client.get("/units").get_data(as_text=True)
    for code in ("GRP", "HQ", "ALT", "DC"):
        assert _band(units, f"unit-{code}") == _band(portfolio, f"row-{code}"), code
    assert _band(units, "unit-GRP") == "meets"  # rolled up, not "unrated"
    group = client.get("/units/GRP").get_data(as_text=True)
    assert re.search(r'id="standing">.*?86\.8.*?meets', group, re.S)


def test_an_admin_s_own_page_offers_no_role_change(company, signed_in, users, session):
    client = signed_in("admin")
    me = session.scalar(select(User).where(User.email == "admin@example.com"))
    own = client.get(f"/admin/users/{me.id}").get_data(as_text=True)
    assert 'name="role"' not in own and "you cannot change your own role" in own
    other = client.get(f"/admin/users/{users['finance'].id}").get_data(as_text=True)
    assert 'name="role"' in other


def test_a_unit_head_with_one_unit_is_not_offered_a_comparison(company, signed_in):
    one = signed_in("other_head")  # WW only
    assert "Compare two units" not in one.get("/portfolio").get_data(as_text=True)
    page = one.get("/portfolio/compare").get_data(as_text=True)
    assert 'id="one-unit"' in page and "Comparing needs two units" in page
    assert "Choose a unit" not in page
    several = signed_in("unit_head")  # GRP, ALT and LAB
    assert "Compare two units" in several.get("/portfolio").get_data(as_text=True)
