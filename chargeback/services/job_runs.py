"""Job run bookkeeping: take a job's lock, report progress, finish, detect the dead.

Run rows are written in their own short transactions (a separate session on the engine the
caller passes), committed at once, so the web app sees a run start and progress while the
close's own transaction is still open, and a lock taken by one process is visible to every
other. These writes are bookkeeping, not a request's or a job's unit of work.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from contextlib import contextmanager

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chargeback.db_setup import write_transaction
from chargeback.models import JobRun


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


STALE_MINUTES = 30


@contextmanager
def bookkeeping(engine: Engine):
    """A short session of its own, committed on leaving. It is a writer from its first
    statement (SQLite: BEGIN IMMEDIATE), so it waits for another writer instead of failing
    with "database is locked" when it turns from reading to writing."""
    with write_transaction():
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def lock_key(job: str, period: str | None) -> str:
    return f"{job}:{period or '-'}"


def start(engine: Engine, job: str, period: str | None, requested_by: str,
          run_id: int | None = None, stale_minutes: int = STALE_MINUTES) -> JobRun | None:
    """Take the lock and mark a run running; None if another live run holds it."""
    release_stale(engine, job, period, stale_minutes)
    try:
        with bookkeeping(engine) as session:
            run = session.get(JobRun, run_id) if run_id else None
            if run is None:
                run = JobRun(job=job, period=period, requested_by=requested_by)
                session.add(run)
            run.status, run.lock_key = "running", lock_key(job, period)
            run.started_at = run.heartbeat_at = now()
            run.host, run.pid, run.progress = socket.gethostname(), os.getpid(), 5
    except IntegrityError:
        if run_id:
            finish(engine, run_id, "failed",
                   f"{job} {period} is already running in another process")
        return None
    return run


def set_period(engine: Engine, run_id: int, period: str) -> None:
    """A "run now" without a month resolves to one; the run says which."""
    with bookkeeping(engine) as session:
        session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.period.is_(None))
                        .values(period=period))


def progress(engine: Engine, run: JobRun, percent: int, message: str | None = None) -> None:
    with bookkeeping(engine) as session:
        values = {"progress": percent, "heartbeat_at": now()}
        if message:
            values["message"] = message
        session.execute(update(JobRun).where(JobRun.id == run.id).values(**values))


def finish(engine: Engine, run_id: int, status: str, message: str | None = None,
           pack_id: int | None = None) -> None:
    with bookkeeping(engine) as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(
            status=status, message=message, pack_id=pack_id, finished_at=now(),
            lock_key=None, progress=100 if status == "succeeded" else JobRun.progress))


def _dead(run: JobRun, stale_after: dt.timedelta) -> bool:
    """Its process is gone (same host, no such pid) or it has not beaten for too long."""
    if run.host == socket.gethostname() and run.pid and run.pid != os.getpid():
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    beat = run.heartbeat_at or run.started_at
    if beat is not None and beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return beat is not None and now() - beat > stale_after


def release_stale(engine: Engine, job: str | None = None, period: str | None = None,
                  stale_minutes: int = STALE_MINUTES) -> int:
    """Mark dead running runs failed and free their locks; returns how many."""
    stale_after = dt.timedelta(minutes=stale_minutes)
    query = select(JobRun).where(JobRun.status == "running")
    if job:
        query = query.where(JobRun.lock_key == lock_key(job, period))
    count = 0
    with bookkeeping(engine) as session:
        for run in session.scalars(query):
            if _dead(run, stale_after):
                run.status, run.lock_key, run.finished_at = "failed", None, now()
                run.message = (f"stale: the process running it (pid {run.pid} on {run.host}) "
                               "stopped; nothing of it was kept, it can run again")
                count += 1
    return count


def queue(session: Session, job: str, period: str | None, requested_by: str) -> JobRun:
    """A "run now" request for the scheduler to pick up once the caller commits (it is the
    request's own work, so a request that fails queues nothing)."""
    run = JobRun(job=job, period=period, requested_by=requested_by, status="queued")
    session.add(run)
    session.flush()
    return run


def claim_queued(engine: Engine) -> list[JobRun]:
    """Queued requests this process takes: one process wins each (the claim is a
    conditional update of the queued row, so two schedulers cannot both take it)."""
    claimed = []
    with bookkeeping(engine) as session:
        ids = list(session.scalars(select(JobRun.id).where(
            JobRun.status == "queued", JobRun.started_at.is_(None)).order_by(JobRun.id)))
    for run_id in ids:
        with bookkeeping(engine) as session:
            taken = session.execute(update(JobRun).where(
                JobRun.id == run_id, JobRun.status == "queued", JobRun.started_at.is_(None)
            ).values(started_at=now(), host=socket.gethostname(), pid=os.getpid()))
            if taken.rowcount == 1:
                claimed.append(session.get(JobRun, run_id))
    return claimed


def waiting_since(engine: Engine, job: str, period: str) -> dt.datetime | None:
    with bookkeeping(engine) as session:
        first = session.scalar(select(JobRun.created_at).where(
            JobRun.job == job, JobRun.period == period, JobRun.status == "waiting")
            .order_by(JobRun.created_at).limit(1))
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    return first
