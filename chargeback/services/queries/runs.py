"""Job runs: what the scheduler ran and is running."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import JobRun
from chargeback.refusals import NotFound
from chargeback.services.queries.sql import Page, after, page_of


def page(session: Session, number: int | None, per_page: int = 50) -> Page:
    return page_of(session, select(JobRun).order_by(JobRun.id.desc()), number, per_page)


def latest(session: Session, limit: int = 50) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))


def waiting(session: Session) -> JobRun | None:
    """The latest run that waits for data, to say what is missing."""
    return session.scalar(select(JobRun).where(JobRun.status == "waiting")
                          .order_by(JobRun.id.desc()).limit(1))


def run(session: Session, run_id: int) -> JobRun:
    found = session.get(JobRun, run_id)
    if found is None:
        raise NotFound(f"There is no job run {run_id}.", kind="run")
    return found


def keyset(session: Session, last_id: int | None, limit: int) -> tuple[list[JobRun], int | None]:
    rows, next_id = after(session, select(JobRun), JobRun.id, last_id, limit, newest_first=True)
    return [r for r, in rows], next_id


def pending_close(session: Session, period: str) -> JobRun | None:
    """A close of ``period`` queued or running."""
    return session.scalar(select(JobRun).where(
        JobRun.job == "close-month", JobRun.period == period,
        JobRun.status.in_(("queued", "running"))).order_by(JobRun.id.desc()).limit(1))
