"""Customer-introduced variability in Chromium: the unit heads of ALT and WW state their
desktop services' stances on the variability page, the month is closed, and the compare
page explains the difference in spend with them, as central IT and as a unit head (the
company and figures of tests/chargeback/test_variability.py). Screenshots go to
``build/screenshots/``."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_accessibility import DESKTOP, axe_problems, check_page
from tests.browser.test_journeys import sign_in, sign_out
from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.test_variability import ALT_WW, add_desks

pytestmark = pytest.mark.slow


def test_unit_heads_state_stances_and_the_compare_page_uses_them(live_server, page, users,
                                                                runner, tmp_path):
    run(runner, "reopen", "2026-03", "--reason", "the desktop services were left out")
    add_desks(runner, tmp_path)

    sign_in(page, live_server, "unit_head")  # GRP's head: ALT and LAB
    page.goto(f"{live_server}/units/ALT")
    page.click("#unit-variability")
    page.locator("#variability-ALT-DESK").wait_for()
    request = page.locator("#variability-ALT-DESK tr[data-kind=request]")
    assert "Not stated: the template proposes accommodate" in request.inner_text()
    page.select_option("#s-0-request-stance", "accommodate")
    page.fill("#s-0-request-note", "any software a researcher asks for")
    page.select_option("#s-0-effort-stance", "reduce")
    page.fill("#s-0-effort-note", "x" * 201)
    page.click("#save-variability")
    page.locator("#variability-errors").wait_for()
    effort = page.locator("#variability-ALT-DESK tr[data-kind=effort]")
    assert "at most 200 characters" in effort.inner_text()
    shot(page, "variability-refused-unit-head")
    assert axe_problems(page, "the refused form") == []
    assert all("409" in e for e in page.console_errors)  # the refusal's own status
    page.console_errors.clear()
    page.select_option("#s-0-effort-stance", "")
    page.fill("#s-0-effort-note", "")
    page.click("#save-variability")
    page.locator(".alert-success").wait_for()
    assert "are saved" in page.locator(".alert-success").inner_text()
    shot(page, "variability-stated-unit-head")
    assert check_page(page, live_server, "unit_head", "variability.edit",
                      "/units/ALT/variability") == []  # axe, and no sideways scroll at 390 px
    page.set_viewport_size(DESKTOP)
    sign_out(page)

    sign_in(page, live_server, "other_head")  # WW's head
    page.goto(f"{live_server}/units/WW/variability")
    page.locator("#variability-WW-DESK").wait_for()
    for kind in ("arrival", "request", "capability", "effort", "subjective_preference"):
        page.select_option(f"#s-0-{kind}-stance", "reduce")
    page.fill("#s-0-request-note", "three standard images")
    page.click("#save-variability")
    page.locator(".alert-success").wait_for()
    sign_out(page)

    run(runner, "close", "2026-03")

    sign_in(page, live_server, "central_it")
    page.goto(f"{live_server}/portfolio/compare")
    page.select_option("#unit-a", "ALT")
    page.select_option("#unit-b", "WW")
    page.click("button:text-is('Compare')")
    page.locator("#variability").wait_for()
    explanation = page.locator("#explanation").inner_text()
    assert all(sentence in explanation for sentence in ALT_WW)
    table = page.locator("#variability table")
    assert "three standard images" in table.locator("tr[data-kind=request]").inner_text()
    assert "proposed by the template" in table.locator("tr[data-kind=arrival]").inner_text()
    page.locator("#variability").scroll_into_view_if_needed()
    shot(page, "variability-compare-central-it")
    assert check_page(page, live_server, "central_it", "portfolio.compare",
                      "/portfolio/compare?period=2026-03&a=ALT&b=WW") == []
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/units/WW/catalog?period=2026-03")
    desk = page.locator("#variability-WW-DESK")
    assert "As the close of 2026-03 froze it." in desk.inner_text()
    assert "three standard images" in desk.locator("tr[data-kind=request]").inner_text()
    desk.scroll_into_view_if_needed()
    shot(page, "variability-catalog-central-it")
    assert page.console_errors == []
    sign_out(page)

    sign_in(page, live_server, "unit_head")
    page.goto(f"{live_server}/portfolio/compare?period=2026-03&a=ALT&b=LAB")
    page.locator("#variability").wait_for()
    assert ("ALT-DESK and PROTO are measured in different units (seat-month, project-hour), "
            "so no cost of one unit of service is compared") in page.locator(
        "#explanation").inner_text()
    shot(page, "variability-compare-unit-head")
    page.goto(f"{live_server}/units/ALT/variability?period=2026-03")
    assert page.locator("#variability-form").count() == 0
    assert "any software a researcher asks for" in page.locator(
        "#variability-ALT-DESK tr[data-kind=request]").inner_text()
    shot(page, "variability-frozen-unit-head")
    page.goto(f"{live_server}/units/ALT/catalog?period=2026-03")
    desk = page.locator("#variability-ALT-DESK")
    arrival = desk.locator("tr[data-kind=arrival]").inner_text()
    assert "accommodate" in arrival and "proposed by the template" in arrival
    page.click("#catalog-variability-link")
    page.locator("#variability-form").wait_for()  # the unit head states them there
    page.goto(f"{live_server}/units/ALT/catalog?period=2026-03")
    page.locator("#variability-ALT-DESK").scroll_into_view_if_needed()
    shot(page, "variability-catalog-unit-head")
    assert page.console_errors == []
