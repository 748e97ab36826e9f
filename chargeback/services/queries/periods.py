"""Months: which are closed, and the settings each closed month was closed with.

A month counts as closed for readers once its pack is published (status ``closed``); a
month being published (``publishing``) is already frozen for writers, who must treat it as
closed (``latest_frozen``), but no page shows it yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Period
from chargeback.models.periods import latest_frozen as latest_frozen  # the rule lives there
from chargeback.services import settings
from chargeback.services.queries.sql import Page, page_of
from chargeback.vocabulary import (
    FROZEN_STATUSES,
    PERIOD_CLOSED,
    PERIOD_OPEN,
    PERIOD_PUBLISHING,
)
from rules.model import BandThresholds

TREND_PERIODS = 12


def period(session: Session, month: str) -> Period | None:
    return session.get(Period, month)


def closed(session: Session) -> list[str]:
    """Closed months, newest first; a reopened month is left out until it is closed again."""
    return list(session.scalars(select(Period.period).where(Period.status == PERIOD_CLOSED)
                                .order_by(Period.period.desc())))


def latest_closed(session: Session) -> str | None:
    return session.scalar(select(Period.period).where(Period.status == PERIOD_CLOSED)
                          .order_by(Period.period.desc()).limit(1))


def earliest_open(session: Session) -> str | None:
    return session.scalar(select(Period.period).where(Period.status == PERIOD_OPEN)
                          .order_by(Period.period).limit(1))


def open_months(session: Session) -> list[str]:
    """Every open month, oldest first."""
    return list(session.scalars(select(Period.period).where(Period.status == PERIOD_OPEN)
                                .order_by(Period.period)))


def publishing(session: Session) -> list[Period]:
    """Months whose close committed and whose pack is not published yet."""
    return list(session.scalars(select(Period).where(Period.status == PERIOD_PUBLISHING)
                                .order_by(Period.period)))


def window(closed_months: Sequence[str], month: str, size: int = TREND_PERIODS) -> list[str]:
    """The last ``size`` closed months up to ``month``, oldest first (for trends)."""
    return sorted(p for p in closed_months if p <= month)[-size:]


def currency_of(session: Session, month: str, default: str) -> str:
    """The currency a frozen month was closed in; the holding company's today otherwise."""
    row = session.get(Period, month)
    if row is not None and row.status in FROZEN_STATUSES and row.currency:
        return row.currency
    return settings.currency(session, default)


def band_limits_of(session: Session, month: str) -> BandThresholds:
    """The band limits a frozen month was closed with; today's otherwise."""
    row = session.get(Period, month)
    if row is not None and row.status in FROZEN_STATUSES and row.band_limits:
        return limits_from(row.band_limits)
    return settings.thresholds(session)


def fiscal_year_start_of(session: Session, month: str) -> int:
    """The fiscal year start a frozen month was closed with; today's setting otherwise."""
    row = session.get(Period, month)
    if row is not None and row.status in FROZEN_STATUSES and row.fiscal_year_start:
        return row.fiscal_year_start
    return settings.fiscal_year_start(session)


def limits_from(stored: dict) -> BandThresholds:
    return BandThresholds(**{name: Decimal(value) for name, value in stored.items()})


def page(session: Session, number: int | None, per_page: int = 50) -> Page:
    """Every month, newest first."""
    return page_of(session, select(Period).order_by(Period.period.desc()), number, per_page)


def every(session: Session) -> list[Period]:
    return list(session.scalars(select(Period).order_by(Period.period.desc())))
