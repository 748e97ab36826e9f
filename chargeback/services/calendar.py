"""Business days and when a month falls due to close.

A business day is a weekday (Monday to Friday) that is neither a public holiday of the
holding company's country (and subdivision), as the ``holidays`` package knows them, nor
one of the company's own closing days. Month P falls due on business day N of the month
after P, at the configured hour, in the holding company's time zone. With no country and no
closing days set, every weekday is a business day.

``BusinessCalendar`` is built once from the settings (``from_config``) and is what the
scheduler counts business days with and what the Periods page shows.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class CalendarSettingError(ValueError):
    """A holiday setting the app cannot use (an unknown country, a malformed date)."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays minus the country's public holidays and the company's closing days."""

    country: str | None = None
    subdivision: str | None = None
    closing_days: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.subdivision and not self.country:
            raise CalendarSettingError("a holiday subdivision needs a country "
                                       "(CHARGEBACK_HOLIDAYS_COUNTRY)")
        if self.country:
            _public(self.country, self.subdivision, 2000)  # refuses an unknown code now

    def closed_because(self, day: dt.date) -> str | None:
        """Why ``day`` is no business day ("Saturday", "Thanksgiving Day", "company
        closing day"), or None when it is one."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if day in self.closing_days:
            return "company closing day"
        if self.country:
            return _public(self.country, self.subdivision, day.year).get(day)
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_because(day) is None

    def business_day(self, year: int, month: int, n: int) -> dt.date:
        """The n-th business day of a month; n is 1-based and capped at the month's last
        (a month with no business day at all: its last day)."""
        day = dt.date(year, month, 1)
        count, last = 0, None
        while day.month == month:
            if self.is_business_day(day):
                count, last = count + 1, day
                if count == n:
                    return day
            day += dt.timedelta(days=1)
        return last or day - dt.timedelta(days=1)

    def closed_weekdays(self, year: int, month: int) -> list[tuple[dt.date, str]]:
        """The weekdays of a month that are no business days, with why: what the Periods
        page lists so a person sees why a close moved."""
        day, found = dt.date(year, month, 1), []
        while day.month == month:
            reason = self.closed_because(day)
            if reason and day.weekday() < 5:
                found.append((day, reason))
            day += dt.timedelta(days=1)
        return found

    @property
    def description(self) -> str:
        """The calendar in words, for the Periods page."""
        parts = ["Monday to Friday"]
        if self.country:
            where = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
            parts.append(f"without the public holidays of {where}")
        if self.closing_days:
            parts.append(f"and {len(self.closing_days)} company closing day(s)")
        return " ".join(parts)


@functools.lru_cache(maxsize=64)
def _public(country: str, subdivision: str | None, year: int):
    """The country's public holidays of a year (``holidays`` is imported only when a country
    is set: the command line stays quick)."""
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:  # an unknown country, or subdivision of one
        raise CalendarSettingError(f"holiday calendar: {exc} (the holidays package "
                                   f"names countries as US, DE, FR and subdivisions as "
                                   f"CA, BY)") from exc


def parse_closing_days(text: str | Iterable[str]) -> frozenset[dt.date]:
    """Company closing days from "2026-12-24, 2026-12-31" (or a list of such strings)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    days = set()
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            days.add(dt.date.fromisoformat(item))
        except ValueError as exc:
            raise CalendarSettingError(f"closing day {item!r} is not a date: write "
                                       f"YYYY-MM-DD") from exc
    return frozenset(days)


def from_config(config: Mapping) -> BusinessCalendar:
    """The calendar the app's settings describe (``CHARGEBACK_HOLIDAYS_COUNTRY``,
    ``CHARGEBACK_HOLIDAYS_SUBDIVISION``, ``CHARGEBACK_CLOSING_DAYS``)."""
    return BusinessCalendar(config.get("CHARGEBACK_HOLIDAYS_COUNTRY") or None,
                            config.get("CHARGEBACK_HOLIDAYS_SUBDIVISION") or None,
                            frozenset(config.get("CHARGEBACK_CLOSING_DAYS") or ()))


WEEKDAYS = BusinessCalendar()


def business_day(year: int, month: int, n: int,
                 calendar: BusinessCalendar = WEEKDAYS) -> dt.date:
    """The n-th business day of a month (weekdays only unless a calendar says more)."""
    return calendar.business_day(year, month, n)


def month_after(period: str) -> tuple[int, int]:
    year, month = int(period[:4]), int(period[5:])
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_period(moment: dt.datetime) -> str:
    first = moment.date().replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def current_period(moment: dt.datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def due_at(period: str, business_day_n: int, hour: int, tz: dt.tzinfo,
           calendar: BusinessCalendar = WEEKDAYS) -> dt.datetime:
    """When ``period`` falls due: business day N of the following month, at ``hour``."""
    year, month = month_after(period)
    day = calendar.business_day(year, month, business_day_n)
    return dt.datetime.combine(day, dt.time(hour=hour), tzinfo=tz)


@dataclass(frozen=True)
class ScheduledClose:
    """When one month falls due, and the weekdays of its close month that do not count."""

    period: str
    due: dt.datetime
    skipped: list[tuple[dt.date, str]]  # closed weekdays up to the due day, with why


def close_schedule(months: Iterable[str], business_day_n: int, hour: int, tz: dt.tzinfo,
                   calendar: BusinessCalendar) -> list[ScheduledClose]:
    """The due moment of each month (oldest first), with the holidays and closing days that
    moved it: what the Periods page shows."""
    schedule = []
    for period in sorted(set(months)):
        due = due_at(period, business_day_n, hour, tz, calendar)
        skipped = [(day, why) for day, why in calendar.closed_weekdays(due.year, due.month)
                   if day <= due.date()]
        schedule.append(ScheduledClose(period, due, skipped))
    return schedule
