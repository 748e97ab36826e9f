"""The Periods page shows the business-day calendar and when each open month falls due."""

from __future__ import annotations

import datetime as dt

import time_machine


def test_periods_page_shows_the_holidays_that_move_a_close(company, signed_in):
    company.config.update(CHARGEBACK_HOLIDAYS_COUNTRY="US", CHARGEBACK_CLOSE_BUSINESS_DAY=19,
                          CHARGEBACK_CLOSING_DAYS=(dt.date(2026, 11, 27),))
    try:
        with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
            html = signed_in("finance").get("/periods").get_data(as_text=True)
    finally:
        company.config.update(CHARGEBACK_HOLIDAYS_COUNTRY=None, CHARGEBACK_CLOSING_DAYS=(),
                              CHARGEBACK_CLOSE_BUSINESS_DAY=3)
    assert 'id="close-schedule"' in html
    assert "without the public holidays of US and 1 company closing day(s) (2026-11-27)" in html
    # October 2026 (no data yet) falls due on business day 19 of November, Thursday the 26th
    # on weekdays only; Veterans Day, Thanksgiving and the company's closing day leave
    # November 18 business days, so it is capped at the last: Monday the 30th.
    assert "Mon 2026-11-30 06:00 UTC" in html
    assert "Thu 2026-11-26 (Thanksgiving Day)" in html
    assert "Fri 2026-11-27 (company closing day)" in html


def test_without_a_country_the_page_says_holidays_count(company, signed_in):
    html = signed_in("central_it").get("/periods").get_data(as_text=True)
    assert "No holiday country is set" in html and "CHARGEBACK_HOLIDAYS_COUNTRY" in html
