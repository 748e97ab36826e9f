"""The compare page judged by the other's yardstick, in Chromium, as central IT and as a
unit head (figures of tests/chargeback/test_yardsticks.py). Screenshots go to
``build/screenshots/``."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.slow


def test_central_it_judges_each_unit_by_the_others_yardstick(live_server, page, users):
    sign_in(page, live_server, "central_it")
    page.goto(f"{live_server}/portfolio/compare")
    page.select_option("#unit-a", "ALT")
    page.select_option("#unit-b", "WW")
    page.click("button:text-is('Compare')")
    section = page.locator("#other-yardstick")
    section.wait_for()
    ww = page.locator("#what-if-WW-by-ALT")
    assert "100.0" in ww.locator(".judged-attainment").inner_text()
    assert "not rated" in page.locator("#what-if-ALT-by-WW .judged-attainment").inner_text()
    assert "missing measure desktop_spend" in page.locator(
        "#what-if-ALT-by-WW tr[data-key=cost_per_seat]").inner_text()
    page.select_option("#template", "operational_excellence")
    page.click("button:text-is('Judge by the template')")
    page.locator("#by-template").wait_for()
    assert "85.0" in page.locator(
        "#what-if-ALT-by-operational_excellence .judged-attainment").inner_text()
    section.scroll_into_view_if_needed()
    shot(page, "yardstick-compare-central-it")
    assert page.console_errors == []


def test_a_unit_head_judges_within_their_units(live_server, page, users):
    sign_in(page, live_server, "unit_head")  # GRP, ALT and LAB
    page.goto(f"{live_server}/portfolio/compare?period=2026-03&a=ALT&b=LAB")
    page.locator("#other-yardstick").wait_for()
    lab = page.locator("#what-if-LAB-by-ALT").inner_text()
    assert "4 of the 4 criteria cannot be measured at LAB" in lab
    assert "missing measure budget" in lab
    shot(page, "yardstick-compare-unit-head")
    response = page.goto(f"{live_server}/portfolio/compare?period=2026-03&a=ALT&b=WW")
    assert response.status == 403
    assert page.console_errors == [] or all("403" in e for e in page.console_errors)
