"""Daily use in a real browser (issue 13): the Jobs page says whether a scheduler is alive,
money carries its currency, help is one click from every page, and the Periods page shows
the holidays the close schedule skips."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from chargeback import jobs
from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.slow


def test_jobs_page_says_whether_a_scheduler_is_alive(live_server, page, users, company):
    base = live_server
    sign_in(page, base, "central_it")
    page.goto(f"{base}/jobs")
    state = page.locator("#scheduler-state")
    assert state.get_attribute("data-alive") == "no"
    assert "No scheduler is running" in state.inner_text()
    page.select_option("select[name=job]", "provisional")
    page.click("button:has-text('Run now')")
    page.wait_for_url(f"{base}/jobs")
    flash = page.locator(".alert-warning", has_text="queued, but no scheduler is running")
    assert flash.is_visible()
    assert "within a few seconds" not in flash.inner_text()
    assert "waits for a scheduler" in page.locator(".run-wait").inner_text()
    shot(page, "jobs-no-scheduler")

    jobs.bind(company, role="scheduler")
    jobs.heartbeat()  # what `chargeback scheduler` writes every CHARGEBACK_HEARTBEAT_SECONDS
    page.goto(f"{base}/jobs")
    assert page.locator("#scheduler-state").get_attribute("data-alive") == "yes"
    assert "waits its turn" in page.locator(".run-wait").inner_text()
    [outcome] = jobs.process_requests()
    assert outcome.job == "provisional"
    page.wait_for_selector(".run-wait", state="detached", timeout=15_000)
    assert page.locator(".run-status").inner_text() != "queued"
    shot(page, "jobs-scheduler-alive")
    assert page.console_errors == []


def test_periods_page_shows_the_holidays_of_the_close_schedule(live_server, page, users,
                                                               company):
    company.config.update(CHARGEBACK_HOLIDAYS_COUNTRY="US", CHARGEBACK_CLOSE_BUSINESS_DAY=1,
                          CHARGEBACK_CLOSING_DAYS=(dt.date(2027, 1, 4),))
    december = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)  # this month closes in January
    traveller = time_machine.travel(december, tick=True)
    traveller.start()
    try:
        sign_in(page, live_server, "central_it")
        page.goto(f"{live_server}/periods")
        schedule = page.locator("#close-schedule")
        text = schedule.inner_text()
        assert "without the public holidays of US" in text and "2027-01-04" in text
        assert "Fri 2027-01-01 (New Year's Day)" in text  # December's close moves past it
        assert "Mon 2027-01-04 (company closing day)" in text
        schedule.scroll_into_view_if_needed()
        shot(page, "periods-close-schedule")
    finally:
        traveller.stop()
        company.config.update(CHARGEBACK_HOLIDAYS_COUNTRY=None, CHARGEBACK_CLOSING_DAYS=(),
                              CHARGEBACK_CLOSE_BUSINESS_DAY=3)
    assert page.console_errors == []


def test_help_is_one_click_from_every_page(live_server, page, users):
    sign_in(page, live_server, "unit_head")
    page.goto(f"{live_server}/units")
    page.click("#help-link")
    page.wait_for_url(f"{live_server}/help/unit_head")
    assert page.locator("#each-month").is_visible()
    assert "My units" in page.locator("#each-month").inner_text()
    assert page.locator(".glossary-word", has_text="Group attainment").count() == 1
    shot(page, "help-unit-head")
    page.click("a.nav-link:has-text('Finance')")
    page.wait_for_url(f"{live_server}/help/finance")
    assert "Post the Journal sheet" in page.locator("#each-month").inner_text()
    assert page.console_errors == []


def test_money_revisions_and_standings_read_the_same_everywhere(live_server, page, users,
                                                                 company):
    from tests.chargeback.web.conftest import csrf_from

    base = live_server
    client = company.test_client()
    from tests.chargeback.web.conftest import sign_in as sign_in_client

    sign_in_client(client, "central_it")
    periods_page = client.get("/periods").get_data(as_text=True)
    client.post("/periods/2026-03/reopen", data={"reason": "late usage",
                                                 "csrf_token": csrf_from(periods_page)})
    client.post("/periods/2026-03/close", data={"csrf_token": csrf_from(periods_page)})

    sign_in(page, base, "finance")
    page.goto(f"{base}/portfolio")
    alt = page.locator("#row-ALT")
    assert "90,600.00\u00a0USD" in alt.inner_text()
    grp_band = page.locator("#row-GRP .badge").last.inner_text()
    shot(page, "money-portfolio")
    page.goto(f"{base}/units")
    assert page.locator("#unit-GRP .badge").last.inner_text() == grp_band == "meets"
    shot(page, "units-standing")
    page.goto(f"{base}/packs")
    assert page.locator(".pack-revision").all_inner_texts() == ["r2", "r1"]
    assert "latest" in page.locator(".pack-kind").first.inner_text()
    assert "superseded by r2" in page.locator(".pack-kind").last.inner_text()
    shot(page, "packs-revisions")
    assert page.console_errors == []


def test_an_admin_and_a_one_unit_head_are_offered_only_what_works(live_server, page, users):
    base = live_server
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/users")
    page.locator("main a", has_text="admin@example.com").first.click()
    page.wait_for_url("**/admin/users/*")
    assert page.locator("select[name=role]").count() == 0
    assert "cannot change your own role" in page.content()
    shot(page, "admin-own-page")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    sign_in(page, base, "other_head")
    assert page.locator("text=Compare two units").count() == 0
    page.goto(f"{base}/portfolio/compare")
    assert page.locator("#one-unit").is_visible()
    shot(page, "compare-one-unit")
    assert page.console_errors == []
