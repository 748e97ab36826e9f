"""Business days honour the country's public holidays and the company's closing days."""

from __future__ import annotations

import datetime as dt

import pytest

from chargeback import config as settings
from chargeback import jobs
from chargeback.services.calendar import (
    BusinessCalendar,
    CalendarSettingError,
    business_day,
    close_schedule,
    due_at,
    parse_closing_days,
)

UTC = dt.UTC
US = BusinessCalendar("US")
THANKSGIVING = dt.date(2026, 11, 26)


def test_us_thanksgiving_moves_the_close_day():
    # November 2026: Thanksgiving is Thursday the 26th, Veterans Day Wednesday the 11th.
    plain = [business_day(2026, 11, n) for n in range(1, 22)]
    us = [US.business_day(2026, 11, n) for n in range(1, 22)]
    assert THANKSGIVING in plain and THANKSGIVING not in us
    assert dt.date(2026, 11, 11) in plain and dt.date(2026, 11, 11) not in us
    assert plain[18] == THANKSGIVING  # business day 19 on weekdays only
    assert us[18] == dt.date(2026, 11, 30)  # the two holidays push it to Monday the 30th
    assert US.closed_because(THANKSGIVING) == "Thanksgiving Day"
    assert due_at("2026-10", 19, 6, UTC, US) == dt.datetime(2026, 11, 30, 6, tzinfo=UTC)


def test_new_year_moves_december_s_close_and_company_closing_days_too():
    assert due_at("2026-12", 1, 6, UTC) == dt.datetime(2027, 1, 1, 6, tzinfo=UTC)
    assert due_at("2026-12", 1, 6, UTC, US) == dt.datetime(2027, 1, 4, 6, tzinfo=UTC)
    closed = BusinessCalendar("US", closing_days=parse_closing_days("2027-01-04, 2027-01-05"))
    assert due_at("2026-12", 1, 6, UTC, closed) == dt.datetime(2027, 1, 6, 6, tzinfo=UTC)
    assert closed.closed_because(dt.date(2027, 1, 4)) == "company closing day"
    only_company = BusinessCalendar(closing_days=frozenset({dt.date(2027, 1, 1)}))
    assert only_company.business_day(2027, 1, 1) == dt.date(2027, 1, 4)


def test_a_subdivision_has_its_own_holidays():
    epiphany = dt.date(2026, 1, 6)  # a public holiday in Bavaria, not in Berlin
    assert BusinessCalendar("DE", "BY").closed_because(epiphany) == "Epiphany"
    assert BusinessCalendar("DE", "BE").is_business_day(epiphany)


def test_the_schedule_lists_what_moved_each_close():
    [row] = close_schedule(["2026-10"], 19, 6, UTC, US)
    assert row.due.date() == dt.date(2026, 11, 30)
    assert [(d.isoformat(), why) for d, why in row.skipped] == [
        ("2026-11-11", "Veterans Day"), ("2026-11-26", "Thanksgiving Day")]


@pytest.mark.parametrize(("env", "named"), [
    ({"CHARGEBACK_HOLIDAYS_COUNTRY": "XX"}, "CHARGEBACK_HOLIDAYS_COUNTRY"),
    ({"CHARGEBACK_HOLIDAYS_COUNTRY": "US", "CHARGEBACK_HOLIDAYS_SUBDIVISION": "ZZ"},
     "SUBDIVISION"),
    ({"CHARGEBACK_HOLIDAYS_SUBDIVISION": "CA"}, "needs a country"),
    ({"CHARGEBACK_CLOSING_DAYS": "2026-12-24, Christmas"}, "CHARGEBACK_CLOSING_DAYS"),
])
def test_a_setting_the_calendar_cannot_use_stops_the_start(monkeypatch, env, named):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=named):
        settings._holiday_settings()


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHARGEBACK_HOLIDAYS_COUNTRY", "us")
    monkeypatch.setenv("CHARGEBACK_HOLIDAYS_SUBDIVISION", "ca")
    monkeypatch.setenv("CHARGEBACK_CLOSING_DAYS", "2026-12-24,2026-12-31")
    assert settings._holiday_settings() == {
        "CHARGEBACK_HOLIDAYS_COUNTRY": "US", "CHARGEBACK_HOLIDAYS_SUBDIVISION": "CA",
        "CHARGEBACK_CLOSING_DAYS": (dt.date(2026, 12, 24), dt.date(2026, 12, 31))}


def test_the_scheduler_counts_business_days_with_the_holidays(app):
    jobs.bind(app)
    app.config.update(CHARGEBACK_HOLIDAYS_COUNTRY="US", CHARGEBACK_CLOSE_BUSINESS_DAY=1)
    try:
        with app.app_context():
            new_year = dt.datetime(2027, 1, 1, 7, tzinfo=UTC)
            assert jobs.due_periods(new_year) == []  # a holiday: December is not due yet
            monday = dt.datetime(2027, 1, 4, 7, tzinfo=UTC)
            assert jobs.due_periods(monday) == ["2026-12"]
    finally:
        app.config.update(CHARGEBACK_HOLIDAYS_COUNTRY=None, CHARGEBACK_CLOSE_BUSINESS_DAY=3)


def test_an_unknown_country_is_refused_when_the_calendar_is_built():
    with pytest.raises(CalendarSettingError, match="XX"):
        BusinessCalendar("XX")
