"""Job run bookkeeping: take a job's lock, report progress, finish, detect the dead.

Run rows are written in their own short transactions (a separate session on the engine the
caller passes), committed at once, so the web app sees a run start and progress while the
close's own transaction is still open, and a lock taken by one process is visible to every
other. These writes are bookkeeping, not a request's or a job's unit of work.

A process that runs queued runs (the scheduler, ``chargeback jobs work``) writes a heartbeat
every ``CHARGEBACK_HEARTBEAT_SECONDS`` into the settings table (``runner_beat``), so any web
worker can tell "the runner picks it up in a moment" from "no scheduler is running: start
one" (``runner``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from chargeback.db_setup import is_contention, write_transaction
from chargeback.models import JobRun, Setting
from chargeback.services.upload_jobs import JOB as UPLOAD_JOB


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
          run_id: int | None = None, stale_minutes: int = STALE_MINUTES,
          key: str | None = None) -> JobRun | None:
    """Take the lock and mark a run running; None if another live run holds it.

    The lock is the job's for the period unless ``key`` names another: an upload's run
    locks only itself (uploads take turns inside the import, kind by kind)."""
    key = key or lock_key(job, period)
    release_stale(engine, key=key, stale_minutes=stale_minutes)
    try:
        with bookkeeping(engine) as session:
            run = session.get(JobRun, run_id) if run_id else None
            if run is None:
                run = JobRun(job=job, period=period, requested_by=requested_by)
                session.add(run)
            run.status, run.lock_key = "running", key
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
           pack_id: int | None = None, batch_id: int | None = None) -> None:
    with bookkeeping(engine) as session:
        session.execute(update(JobRun).where(JobRun.id == run_id).values(
            status=status, message=message, pack_id=pack_id, batch_id=batch_id,
            finished_at=now(),
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
                  stale_minutes: int = STALE_MINUTES, key: str | None = None) -> int:
    """Mark dead runs failed and free their locks; returns how many. A run is dead when it
    is running, or claimed and not yet started, and its process is gone (``_dead``)."""
    stale_after = dt.timedelta(minutes=stale_minutes)
    if job or key:
        query = select(JobRun).where(JobRun.status == "running",
                                     JobRun.lock_key == (key or lock_key(job, period)))
    else:
        claimed = (JobRun.status == "queued") & JobRun.started_at.is_not(None)
        query = select(JobRun).where((JobRun.status == "running") | claimed)
    count = 0
    with bookkeeping(engine) as session:
        for run in session.scalars(query):
            if _dead(run, stale_after):
                run.status, run.lock_key, run.finished_at = "failed", None, now()
                again = "upload the file again" if run.job == UPLOAD_JOB else "it can run again"
                run.message = (f"stale: the process running it (pid {run.pid} on {run.host}) "
                               f"stopped; nothing of it was kept: {again}")
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
    with bookkeeping(engine) as session:
        ids = list(session.scalars(select(JobRun.id).where(
            JobRun.status == "queued", JobRun.started_at.is_(None)).order_by(JobRun.id)))
    claimed = (_claim(engine, run_id) for run_id in ids)
    return [run for run in claimed if run is not None]


def claim_next(engine: Engine) -> JobRun | None:
    """The oldest queued run, taken by this process, or None when nothing is queued. A
    runner takes one run at a time, so two runners share a queue of long uploads."""
    while True:
        with bookkeeping(engine) as session:
            run_id = session.scalar(select(JobRun.id).where(
                JobRun.status == "queued", JobRun.started_at.is_(None))
                .order_by(JobRun.id).limit(1))
        if run_id is None:
            return None
        taken = _claim(engine, run_id)
        if taken is not None:
            return taken


def _claim(engine: Engine, run_id: int) -> JobRun | None:
    with bookkeeping(engine) as session:
        taken = session.execute(update(JobRun).where(
            JobRun.id == run_id, JobRun.status == "queued", JobRun.started_at.is_(None)
        ).values(started_at=now(), host=socket.gethostname(), pid=os.getpid()))
        return session.get(JobRun, run_id) if taken.rowcount == 1 else None


def waiting_since(engine: Engine, job: str, period: str) -> dt.datetime | None:
    with bookkeeping(engine) as session:
        first = session.scalar(select(JobRun.created_at).where(
            JobRun.job == job, JobRun.period == period, JobRun.status == "waiting")
            .order_by(JobRun.created_at).limit(1))
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    return first


# --- is a runner running? ----------------------------------------------------------------

HEARTBEAT_KEYS = {"scheduler": "heartbeat.scheduler", "worker": "heartbeat.worker"}
ROLES = tuple(HEARTBEAT_KEYS)
DEFAULT_HEARTBEAT = dt.timedelta(seconds=15)


def runner_beat(engine: Engine, role: str = "scheduler",
                every: dt.timedelta = DEFAULT_HEARTBEAT) -> None:
    """Say that a runner of queued runs (``role``: the scheduler, or a ``jobs work``
    worker) is alive. It is a row of the settings table, so every web worker sees it.
    Written at most twice per ``every`` (read first, without taking a writer's lock); a
    beat that would wait too long for another writer (a close holding SQLite's lock) is
    skipped: the next one says it."""
    key = HEARTBEAT_KEYS[role]
    with Session(engine) as session:
        row = session.get(Setting, key)
        seen = _parse(row.value)[0] if row else None
    if seen is not None and now() - seen < every / 2:
        return
    value = f"{now().isoformat()}|{socket.gethostname()}|{os.getpid()}"
    try:
        with bookkeeping(engine) as session:
            session.merge(Setting(key=key, value=value))
    except IntegrityError:
        pass  # two runners' first beats at once: the other one said it
    except DBAPIError as exc:
        if not is_contention(exc):
            raise


def _parse(value: str) -> tuple[dt.datetime | None, str | None, int | None]:
    """The moment, host and pid of a stored beat ("iso|host|pid")."""
    parts = value.split("|")
    try:
        seen = dt.datetime.fromisoformat(parts[0])
    except ValueError:
        return None, None, None
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=dt.UTC)
    host = parts[1] if len(parts) > 1 else None
    pid = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
    return seen, host, pid


@dataclass(frozen=True)
class Beat:
    """The last heartbeat of one kind of runner, and whether it is recent enough."""

    role: str
    seen_at: dt.datetime | None
    host: str | None
    pid: int | None
    alive: bool

    @property
    def ago(self) -> str:
        """How long ago it beat, in words a person reads at a glance ("12 s", "3 min")."""
        if self.seen_at is None:
            return "never"
        seconds = max(0, int((now() - self.seen_at).total_seconds()))
        if seconds < 120:
            return f"{seconds} s"
        if seconds < 2 * 3600:
            return f"{seconds // 60} min"
        if seconds < 2 * 86400:
            return f"{seconds // 3600} h"
        return f"{seconds // 86400} days"


@dataclass(frozen=True)
class Runner:
    """What a page with queued runs says about who will run them."""

    queued: int  # runs no runner has taken yet
    beats: dict[str, Beat]
    busy_with: JobRun | None  # a run running now (a runner is busy with it)

    @property
    def scheduler(self) -> Beat:
        return self.beats["scheduler"]

    @property
    def worker(self) -> Beat:
        return self.beats["worker"]

    @property
    def present(self) -> bool:
        """A scheduler or a worker said it was alive within the silence it is allowed."""
        return any(beat.alive for beat in self.beats.values())

    @property
    def seen_at(self) -> dt.datetime | None:
        """The latest beat of any runner, or None when none ever beat."""
        seen = [b.seen_at for b in self.beats.values() if b.seen_at is not None]
        return max(seen) if seen else None

    @property
    def missing(self) -> bool:
        """Runs wait, and no runner is there to take them (none alive, none busy)."""
        return self.queued > 0 and not self.present and self.busy_with is None


def runner(session: Session, silent_after: dt.timedelta) -> Runner:
    beats = {}
    for role, key in HEARTBEAT_KEYS.items():
        row = session.get(Setting, key)
        seen, host, pid = _parse(row.value) if row else (None, None, None)
        beats[role] = Beat(role, seen, host, pid,
                           seen is not None and now() - seen <= silent_after)
    queued = session.scalar(select(func.count()).select_from(JobRun).where(
        JobRun.status == "queued", JobRun.started_at.is_(None)))
    busy = session.scalar(select(JobRun).where(JobRun.status == "running")
                          .order_by(JobRun.id).limit(1))
    return Runner(queued, beats, busy)


def silence_allowed(poll_seconds: int, heartbeat_seconds: int = 15) -> dt.timedelta:
    """How long a runner may be silent before a page says none is running: four missed
    heartbeats, and at least two minutes (``scheduler --once`` from cron beats once a run,
    every minute or two), and more for a slow poll."""
    return dt.timedelta(seconds=max(120, 4 * heartbeat_seconds, 3 * poll_seconds))
