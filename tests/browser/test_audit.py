"""The audit trail in a real browser: central IT reopens a month with a reason, then finds
it on the Audit page by action and by month; a unit head has no Audit menu item and gets
403 from the page."""

from __future__ import annotations

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in, sign_out

REASON = "Budget of WW was keyed twice: correcting it"


def test_central_it_finds_a_reopen_reason(live_server, page, users):
    base = live_server
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "central_it")
    page.goto(f"{base}/periods")
    page.fill("#reason-2026-03", REASON)
    with page.expect_navigation():
        page.click("button:has-text('Reopen')")
    page.click("nav >> text=Audit")
    page.wait_for_url("**/audit")
    page.select_option("#audit-action", "period.reopen")
    page.select_option("#audit-period", "2026-03")
    page.click("#audit-controls button[type=submit]")
    page.wait_for_url("**action=period.reopen**")
    rows = page.query_selector_all("#audit-table tbody tr")
    assert len(rows) == 1 and REASON in rows[0].inner_text()
    shot(page, "audit-reopen-reason")
    page.goto(f"{base}/audit?unit=ALT")
    assert "ALT v1" in page.inner_text("#audit-table")
    shot(page, "audit-unit-alt")
    sign_out(page)

    sign_in(page, base, "unit_head")
    assert page.query_selector("nav >> text=Audit") is None
    assert page.goto(f"{base}/audit").status == 403
