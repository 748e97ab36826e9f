"""Which months are open or closed, and what a change to a closed month would touch."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Period


class PeriodRefused(Exception):
    """An action the state of a period does not allow (closing a closed month, ...)."""


def latest_closed(session: Session) -> str | None:
    return session.scalar(select(Period.period).where(Period.status == "closed")
                          .order_by(Period.period.desc()).limit(1))


def earliest_open(session: Session) -> str | None:
    return session.scalar(select(Period.period).where(Period.status == "open")
                          .order_by(Period.period).limit(1))


def next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def first_changeable(session: Session) -> str:
    """The first month a new version may take effect from without touching a closed one.

    The month after the last closed one; with nothing closed, the earliest open month;
    with no month at all, ``1900-01`` (in force from the start).
    """
    closed = latest_closed(session)
    if closed:
        return next_month(closed)
    return earliest_open(session) or "1900-01"


def closed_problem(session: Session, effective_from: str) -> str | None:
    """Why a version effective from that month would change a closed month, or None."""
    closed = latest_closed(session)
    if closed and effective_from <= closed:
        return (f"{effective_from} is not after the last closed period {closed}: it would "
                f"change a closed period; make it effective from {next_month(closed)} or later")
    return None
