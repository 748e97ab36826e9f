"""The service catalog page in Chromium, as central IT and as the unit head of a group:
from the unit page to the catalog, the month's targets against their results (figures of
tests/chargeback/test_service_catalog.py: DC's CPU, two met and two missed; LAB's PROTO,
met), the period picker, and a unit outside the head's scope refused."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_accessibility import DESKTOP, check_page
from tests.browser.test_journeys import sign_in
from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.test_service_catalog import add_catalog
from tests.chargeback.web.test_service_catalog_page import LAB_CATALOG

pytestmark = pytest.mark.slow


@pytest.fixture
def with_catalog(live_server, users, runner, session, tmp_path):
    """2026-03 reopened, the catalog of DC's CPU and LAB's PROTO imported, closed again;
    April's CPU availability imported (an open month)."""
    run(runner, "reopen", "2026-03", "--reason", "add the service catalog")
    add_catalog(session, runner, tmp_path)
    for kind, text in LAB_CATALOG.items():
        run(runner, "import", kind, str(write_csv(tmp_path, f"lab-{kind}.csv", text)))
    run(runner, "close", "2026-03")
    april = "period,service_code,offering,measure,value\n2026-04,CPU,,availability,99.95\n"
    run(runner, "import", "sla_results", str(write_csv(tmp_path, "april.csv", april)))
    return live_server


def statuses(page) -> list[str]:
    return [row.get_attribute("data-status")
            for row in page.locator("tr[data-status]").all()]


def test_central_it_walks_a_units_catalog(with_catalog, page):
    base = with_catalog
    sign_in(page, base, "central_it")
    page.goto(f"{base}/units/DC?period=2026-03")
    page.click("#service-catalog")
    page.wait_for_url(f"{base}/units/DC/catalog?period=2026-03")
    assert statuses(page) == ["missed", "missed", "met", "met"]
    cpu = page.locator("#service-CPU")
    assert "ops@example.com" in cpu.inner_text()
    assert "the whole service" in cpu.inner_text()
    assert "2026-03 is closed" in page.locator("#catalog-basis").inner_text()
    shot(page, "catalog-central-it-closed")
    page.select_option("#period", "2026-04")
    page.locator("form[action$='/catalog'] button[type=submit]").click()
    page.wait_for_url("**period=2026-04")
    assert "2026-04 is open" in page.locator("#catalog-basis").inner_text()
    # April: both availability targets against 99.95 (met), response hours not imported
    assert statuses(page) == ["met", "no result", "met", "no result"]
    shot(page, "catalog-central-it-open")
    assert page.console_errors == []
    # axe finds nothing serious, and at 390 px the page does not scroll sideways
    page.set_viewport_size(DESKTOP)
    assert check_page(page, base, "central_it", "service_catalog.show",
                      "/units/DC/catalog?period=2026-03") == []


def test_a_unit_head_walks_their_units_catalog(with_catalog, page):
    base = with_catalog
    sign_in(page, base, "unit_head")  # GRP, and ALT and LAB below it
    page.goto(f"{base}/units/LAB")
    page.click("#service-catalog")
    page.wait_for_url(f"{base}/units/LAB/catalog**")
    assert statuses(page) == ["met"]
    proto = page.locator("#service-PROTO").inner_text()
    assert "sla.PROTO.standard.on_time_pct" in proto and "95" in proto
    shot(page, "catalog-unit-head")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/units/LAB/catalog")
    shot(page, "catalog-unit-head-phone")
    # the group's catalog: no service of its own, its units' catalogs one click away
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/units/GRP/catalog?period=2026-03")
    assert "no service of its own" in page.locator("#no-services").inner_text()
    shot(page, "catalog-group")
    page.locator("#units-below a", has_text="LAB").click()
    page.wait_for_url(f"{base}/units/LAB/catalog?period=2026-03")
    page.click("#catalog-unit-link")
    page.wait_for_url(f"{base}/units/LAB?period=2026-03")
    assert page.console_errors == []
    response = page.goto(f"{base}/units/DC/catalog")
    assert response.status == 403
