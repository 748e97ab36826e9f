"""Which months may still change, and the locks that keep "check, then write" honest.

A month is frozen once its close commits (``publishing``, then ``closed``). Every writer
that checks "is this month open?" holds the month's row lock while it checks and until it
commits (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite has one writer at a time, taken at
``BEGIN IMMEDIATE``), and the close holds the same lock while it freezes the month: so an
import, a new rate or a scorecard approval either lands before the close reads the month,
or sees it frozen and is refused. It never lands in a closed month.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chargeback.models.periods import latest_frozen, lock_from, lock_period
from chargeback.refusals import Conflict
from chargeback.services.queries.periods import earliest_open

__all__ = ["PeriodRefused", "closed_problem", "first_changeable", "lock_from", "lock_period",
           "next_month"]


class PeriodRefused(Conflict):
    """An action the state of a period does not allow (closing a closed month, ...)."""

    def __init__(self, message: str):
        super().__init__(message, kind="period")


def next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def first_changeable(session: Session) -> str:
    """The first month a new version may take effect from without touching a closed one.

    The month after the last frozen one; with nothing closed, the earliest open month;
    with no month at all, ``1900-01`` (in force from the start).
    """
    frozen = latest_frozen(session)
    if frozen:
        return next_month(frozen)
    return earliest_open(session) or "1900-01"


def closed_problem(session: Session, effective_from: str, *, lock: bool = True) -> str | None:
    """Why a version effective from that month would change a closed month, or None.

    Checked under the lock of every month from ``effective_from`` on (``lock_from``), for a
    writer; ``lock=False`` for a page that only shows the answer (it never waits for a
    close, and decides nothing).
    """
    frozen = lock_from(session, effective_from) if lock else latest_frozen(session)
    if frozen and effective_from <= frozen:
        return (f"{effective_from} is not after the last closed period {frozen}: it would "
                f"change a closed period; make it effective from {next_month(frozen)} or later")
    return None

