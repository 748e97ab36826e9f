"""The compare page judged by the other's yardstick, in Chromium, as central IT and as a
unit head (figures of tests/chargeback/test_yardsticks.py). Screenshots go to
``build/screenshots/``."""

from __future__ import annotations

import pytest

from tests.browser.conftest import settle, shot
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


# Each what-if table's box: how much wider its table is than the box (0: it fits).
WHAT_IF_OVERFLOW_JS = """() => [...document.querySelectorAll('.what-if .table-responsive')]
    .filter((box) => box.scrollWidth > box.clientWidth)
    .map((box) => box.getAttribute('aria-label') + ': ' + box.scrollWidth + ' px in '
         + box.clientWidth)"""


@pytest.mark.parametrize("width", [1280, 992, 390])
def test_the_what_if_tables_fit_their_cards(live_server, page, users, width):
    """Judged by the other's yardstick at a laptop's 1280 px, at 992 px (the narrowest
    width with two cards side by side) and at a phone's 390 px (rows stacked): every column, Own score included, shows without scrolling sideways
    (issue 14 found Own score cut off: a 594 px table in a 574 px box)."""
    sign_in(page, live_server, "central_it")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server}/portfolio/compare?period=2026-03&a=ALT&b=WW"
              "&template=operational_excellence")
    settle(page)
    assert page.locator(".what-if").count() == 4
    cut = page.evaluate(WHAT_IF_OVERFLOW_JS)
    card = page.locator("#what-if-WW-by-ALT")
    card.scroll_into_view_if_needed()
    shot(page, f"yardstick-what-if-{width}")
    shot(page, f"yardstick-what-if-{width}-card", element=card)
    assert cut == []
    assert page.locator("#what-if-WW-by-ALT td.own").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
