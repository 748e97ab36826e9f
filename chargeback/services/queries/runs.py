"""Job runs: what the scheduler ran and is running."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import JobRun
from chargeback.refusals import NotFound
from chargeback.services.queries.listing import (
    Filter,
    ListQuery,
    ListSpec,
    Sort,
    choices,
    select_page,
)
from chargeback.services.queries.sql import Page, after
from chargeback.vocabulary import JOBS, RUN_STATUSES

LIST = ListSpec(
    sorts={"queued": Sort("Queued at", (JobRun.id,)),
           "job": Sort("Job", (JobRun.job,)),
           "period": Sort("Period", (JobRun.period,), nullable=True),
           "status": Sort("Status", (JobRun.status,)),
           "by": Sort("Requested by", (JobRun.requested_by,)),
           "finished": Sort("Finished at", (JobRun.finished_at,), nullable=True)},
    default_sort="queued", default_dir="desc",
    search=(JobRun.job, JobRun.period, JobRun.requested_by, JobRun.message,
            JobRun.upload_filename),
    search_label="Job, period, person, file or message",
    filters={"job": Filter("Job", choices((*JOBS, "import")), lambda v: JobRun.job == v),
             "status": Filter("Status", choices(RUN_STATUSES), lambda v: JobRun.status == v)},
    tiebreak=(JobRun.id.desc(),))


def page(session: Session, asked: ListQuery) -> Page:
    """Runs searched, filtered and sorted as asked (newest first by default)."""
    return select_page(session, LIST, select(JobRun), asked)


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
