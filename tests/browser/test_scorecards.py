"""A unit head's scorecard in a real browser (issue 13, point 1), screenshots in
build/screenshots/: found from My units; built by picking measures, the expression checked
as it is typed; every fault marked at once; a reload after a refused save posts nothing;
Preview opens at its result; submitted, withdrawn, submitted again; two versions compared;
central IT sees the Approvals badge.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from chargeback.extensions import db
from chargeback.models import ScorecardVersion
from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.slow


def _versions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ScorecardVersion))


def test_a_unit_head_finds_builds_and_submits_a_scorecard(live_server, page, users):
    base = live_server
    sign_in(page, base, "unit_head")
    page.click("text=My units")
    page.click("#scorecard-ALT")
    page.wait_for_url(f"{base}/units/ALT/scorecard")
    page.click("#start-template")
    page.wait_for_selector("#criterion-3")

    # The builder: spend per budget for criterion 3 (on_budget), filled in as it is built.
    page.select_option("#criteria-2-measure", "spend")
    page.select_option("#criteria-2-per", "budget")
    assert page.input_value("#criteria-2-expr") == "spend / budget"
    about = page.locator("#criteria-2-measure-about").inner_text()
    assert "Spend of the unit" in about and "latest 90600" in about
    expect(page.locator("#criteria-2-expr-live")).to_contain_text("reads well")
    # Typed: checked by the server as it is typed, without a reload.
    page.fill("#criteria-1-expr", "turnaround_days +")
    expect(page.locator("#criteria-1-expr-live")).to_contain_text("syntax error")
    expect(page.locator("#criteria-1-expr")).to_have_class(re.compile("is-invalid"))
    page.locator("#criteria-2-builder").scroll_into_view_if_needed()
    shot(page, "scorecard-builder-and-live-check")
    page.fill("#criteria-1-expr", "turnaround_days")

    # Two faults at once: a target below its floor and an empty label.
    before = _versions()
    page.fill("input[name='criteria-0-target']", "3")
    page.fill("input[name='criteria-3-label']", "")
    page.click("#save-draft")
    page.wait_for_url("**form=**")
    assert "floor" in page.locator("#criteria-0-target-error").inner_text()
    assert page.locator("#criteria-3-label-error").inner_text() == "is required"
    assert page.input_value("input[name='criteria-0-target']") == "3"  # kept as typed
    shot(page, "scorecard-every-fault-at-once")
    page.reload()  # a GET: nothing posted again
    assert page.locator("#criteria-0-target-error").is_visible()
    assert _versions() == before

    page.fill("input[name='criteria-0-target']", "5.0")
    page.fill("input[name='criteria-3-label']", "First contact")
    page.click("#preview-button")
    page.wait_for_url("**#preview")
    top = page.locator("#preview").bounding_box()["y"]  # relative to the viewport
    assert -2 <= top < 200  # the result is where the page opens (to a pixel)
    shot(page, "scorecard-preview-at-the-top")
    shot(page, "scorecard-preview-viewport", full_page=False)

    page.click("#submit-for-approval")
    expect(page.locator("#waiting")).to_be_visible()  # waits for the page the post answers
    expect(page.locator("#withdraw")).to_be_visible()
    page.click("#withdraw")
    expect(page.locator(".alert-success")).to_contain_text("withdrawn")
    page.click("#submit-for-approval")
    expect(page.locator("#waiting")).to_be_visible()
    page.click("#compare-versions")
    page.wait_for_selector("#compare-table")
    assert "changed" in page.locator("#compare-summary").inner_text()
    shot(page, "scorecard-compare-versions")
    sign_out(page)

    sign_in(page, base, "central_it")
    assert page.locator("#approvals-waiting").inner_text().startswith("1")
    shot(page, "scorecard-approvals-badge")
    assert page.console_errors == []
