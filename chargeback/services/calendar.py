"""Business days and when a month falls due to close.

A business day is Monday to Friday (no holiday calendar yet). Month P falls due on business
day N of the month after P, at the configured hour, in the holding company's time zone.
"""

from __future__ import annotations

import datetime as dt


def business_day(year: int, month: int, n: int) -> dt.date:
    """The n-th weekday (Mon-Fri) of a month; n is 1-based and capped at the month's last."""
    day = dt.date(year, month, 1)
    count, last = 0, day
    while day.month == month:
        if day.weekday() < 5:
            count += 1
            last = day
            if count == n:
                return day
        day += dt.timedelta(days=1)
    return last


def month_after(period: str) -> tuple[int, int]:
    year, month = int(period[:4]), int(period[5:])
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_period(moment: dt.datetime) -> str:
    first = moment.date().replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def current_period(moment: dt.datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def due_at(period: str, business_day_n: int, hour: int, tz: dt.tzinfo) -> dt.datetime:
    """When ``period`` falls due: business day N of the following month, at ``hour``."""
    year, month = month_after(period)
    day = business_day(year, month, business_day_n)
    return dt.datetime.combine(day, dt.time(hour=hour), tzinfo=tz)
