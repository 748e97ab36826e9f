"""The catalog page: a unit's services, owners, offerings, targets and the
month's results against them, for each role and scope, closed months read as frozen.

The company is the web tests' (2026-03 closed), reopened to add the catalog of
``tests/chargeback/test_service_catalog.py`` (DC's CPU: two offerings, four targets, two
met and two missed) and LAB's PROTO (one target, met), then closed again.
"""

from __future__ import annotations

import re

import pytest

from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.test_service_catalog import add_catalog

LAB_CATALOG = {
    "offerings": "service_code,code,name\nPROTO,standard,Prototype sprint\n",
    "sla_targets": "service_code,offering,measure,target,direction\n"
                   "PROTO,standard,on_time_pct,90,higher\n",
    "sla_results": "period,service_code,offering,measure,value\n"
                   "2026-03,PROTO,standard,on_time_pct,95\n",
}


@pytest.fixture
def catalog_company(runner, session, users, tmp_path):
    run(runner, "reopen", "2026-03", "--reason", "add the service catalog")
    add_catalog(session, runner, tmp_path)
    for kind, text in LAB_CATALOG.items():
        run(runner, "import", kind, str(write_csv(tmp_path, f"lab-{kind}.csv", text)))
    run(runner, "close", "2026-03")
    return session


def catalog_part(html: str) -> str:
    """The page from the month's basis to its end (the picker lists months added since)."""
    return html[html.index('id="catalog-basis"'):]


def statuses(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'data-offering="([^"]+)" data-measure="([^"]+)" data-status="([^"]+)"',
                      html)


def test_central_it_sees_each_target_against_its_result(catalog_company, signed_in):
    html = signed_in("central_it").get("/units/DC/catalog?period=2026-03").get_data(
        as_text=True)
    assert statuses(html) == [
        ("priority", "availability", "missed"), ("priority", "response_hours", "missed"),
        ("standard", "availability", "met"), ("standard", "response_hours", "met")]
    assert "ops@example.com" in html and 'data-frozen="true"' in html
    assert "<code>sla.CPU.availability</code>" in html
    assert "2 met" in html and "2 missed" in html


def test_a_unit_head_sees_their_units_catalog_only(catalog_company, signed_in):
    head = signed_in("unit_head")
    html = head.get("/units/LAB/catalog").get_data(as_text=True)  # default: latest closed
    assert statuses(html) == [("standard", "on_time_pct", "met")]
    assert head.get("/units/DC/catalog").status_code == 403
    assert signed_in("other_head").get("/units/LAB/catalog").status_code == 403


def test_the_unit_page_links_to_the_catalog(catalog_company, signed_in):
    html = signed_in("unit_head").get("/units/LAB?period=2026-03").get_data(as_text=True)
    assert 'href="/units/LAB/catalog?period=2026-03"' in html


def test_the_catalog_links_back_to_the_unit_page_of_its_month(catalog_company, runner,
                                                              signed_in, tmp_path):
    client = signed_in("central_it")
    closed = client.get("/units/DC/catalog?period=2026-03").get_data(as_text=True)
    assert 'id="catalog-unit-link" href="/units/DC?period=2026-03"' in closed
    # an open month has no unit page of its own: the unit page's default (latest closed)
    run(runner, "import", "sla_results", str(write_csv(
        tmp_path, "april.csv", "period,service_code,offering,measure,value\n"
                               "2026-04,CPU,,availability,99.5\n")))
    april = client.get("/units/DC/catalog?period=2026-04").get_data(as_text=True)
    assert 'data-frozen="false"' in april
    assert 'id="catalog-unit-link" href="/units/DC"' in april


def test_a_groups_catalog_lists_its_units_with_their_catalogs(catalog_company, runner,
                                                              signed_in, tmp_path):
    """A group offers no service: its catalog sends the reader to its units' catalogs, as
    the month's tree stood (a unit moved after the close stays under its group)."""
    client = signed_in("central_it")
    html = client.get("/units/GRP/catalog?period=2026-03").get_data(as_text=True)
    assert "GRP offered no service of its own when 2026-03 closed." in html
    below = html[html.index('id="units-below"'):]
    assert re.findall(r'href="(/units/[A-Z]+/catalog\?period=2026-03)"', below) == [
        "/units/ALT/catalog?period=2026-03", "/units/LAB/catalog?period=2026-03"]
    moved = ("code,name,parent_code,service_model,billing_mode,recovery_account\n"
             "LAB,Innovation Lab,HQ,product_leadership,showback,4900-LAB\n")
    run(runner, "import", "units", str(write_csv(tmp_path, "moved.csv", moved)))
    again = client.get("/units/GRP/catalog?period=2026-03").get_data(as_text=True)
    assert again[again.index('id="units-below"'):].count("/catalog?period=2026-03") == 2
    hq = client.get("/units/HQ/catalog?period=2026-03").get_data(as_text=True)
    assert "/units/LAB/catalog?period=2026-03" not in hq
    assert "/units/GRP/catalog?period=2026-03" in hq


def test_a_month_that_is_not_there_is_said_and_the_default_shown(catalog_company, signed_in):
    html = signed_in("finance").get("/units/DC/catalog?period=2031-01").get_data(as_text=True)
    assert "2031-01 is not a month with data: showing 2026-03." in html
    assert len(statuses(html)) == 4


def test_the_closed_month_keeps_its_page_after_the_catalog_changes(catalog_company, runner,
                                                                    signed_in, tmp_path):
    client = signed_in("central_it")
    before = catalog_part(client.get("/units/DC/catalog?period=2026-03").get_data(as_text=True))
    later = ("service_code,offering,measure,target,direction\n"
             "CPU,priority,availability,99.0,higher\n")
    run(runner, "import", "sla_targets", str(write_csv(tmp_path, "later.csv", later)))
    run(runner, "import", "sla_results", str(write_csv(
        tmp_path, "april.csv", "period,service_code,offering,measure,value\n"
                               "2026-04,CPU,,availability,99.5\n")))
    assert catalog_part(client.get("/units/DC/catalog?period=2026-03").get_data(
        as_text=True)) == before
    april = client.get("/units/DC/catalog?period=2026-04").get_data(as_text=True)
    assert ("priority", "availability", "met") in statuses(april)
    assert 'data-frozen="false"' in april


def test_the_scorecard_editor_knows_the_units_sla_names(catalog_company, signed_in):
    from tests.chargeback.web.conftest import csrf_from

    client = signed_in("unit_head")
    editor = client.get("/units/LAB/scorecard").get_data(as_text=True)
    token = csrf_from(editor)
    # the measure picker offers the result, described, with its latest value
    assert "sla.PROTO.standard.on_time_pct" in editor
    assert "Service level on time pct of PROTO&#39;s standard offering" in editor
    url = "/units/LAB/scorecard/check-expression"

    def check(expr):
        return client.post(url, data={"csrf_token": token, "expr": expr}).get_json()

    assert check("sla.PROTO.standard.on_time_pct / 100") == {
        "ok": True, "errors": [], "warnings": []}
    misspelt = check("sla.PROTO.standard.on_time")
    assert misspelt["ok"] is True
    assert "did you mean sla.PROTO.standard.on_time_pct?" in misspelt["warnings"][0]
    refused = check("sla.PROTO")
    assert refused["ok"] is False and refused["errors"][0].startswith(
        "'sla.' starts a service level name")
    assert check("sla.PROTO.standard.on_time_pct.__class__")["ok"] is False
