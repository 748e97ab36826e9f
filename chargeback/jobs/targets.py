"""Job targets the scheduler runs by reference ("chargeback.jobs.targets:close_month").

Each target opens an app context of its own (the scheduler's threads have none) and is
idempotent on its own: a run takes a lock per (job, period), and a month already closed
is not closed again. ``now`` is a parameter so tests can travel in time. This package is a
delivery layer like the web app and the API: it reads the configuration and hands the
services what they need (the session, the engine, the pack folder, the currency).

``process_requests`` runs the queued runs: "run now" requests, closes asked through the
API, and big uploads (job ``import``, in ``jobs.uploads``); the scheduler calls it every
few seconds, and ``chargeback jobs work`` (``jobs.worker``) is a runner of nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from chargeback.db_setup import is_contention, write_transaction
from chargeback.extensions import db
from chargeback.refusals import CONTENTION, Refused
from chargeback.services import job_runs, notify, publication, readiness, upload_jobs
from chargeback.services.calendar import current_period, due_at, previous_period
from chargeback.services.calendar import from_config as business_calendar
from chargeback.services.closing import provisional_pack
from chargeback.services.provisional import record_draft
from chargeback.services.queries import packs as pack_files
from chargeback.services.queries import periods

log = logging.getLogger("chargeback.jobs")
_app: Flask | None = None
_role = "scheduler"


@dataclass(frozen=True)
class Outcome:
    job: str
    period: str | None
    status: str  # succeeded, waiting, failed, skipped
    message: str
    run_id: int | None = None


def bind(app: Flask, role: str = "scheduler") -> None:
    """The app whose database and settings the jobs use, and what this process is for its
    heartbeat: the scheduler, or a ``jobs work`` worker (set by the process that runs)."""
    global _app, _role
    _app, _role = app, role


def _every() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config.get("CHARGEBACK_HEARTBEAT_SECONDS", 15))


def heartbeat() -> None:
    """Say this scheduler or worker is alive (the scheduler runs it every
    ``CHARGEBACK_HEARTBEAT_SECONDS``, beside whatever job is running)."""
    with _context():
        job_runs.runner_beat(db.engine, _role, _every())


def _context():
    """The bound app's context (the scheduler's threads have none of their own)."""
    if _app is None:
        raise RuntimeError("bind(app) before running a job: the scheduler process does")
    return _app.app_context()


def _now(now: dt.datetime | None) -> dt.datetime:
    tz = ZoneInfo(current_app.config["CHARGEBACK_TIMEZONE"])
    return (now or dt.datetime.now(dt.UTC)).astimezone(tz)


def _stale() -> int:
    return current_app.config.get("CHARGEBACK_STALE_MINUTES", 30)


def _pack_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_PACK_DIR"])


def _currency() -> str:
    return current_app.config["CHARGEBACK_CURRENCY"]


# --- close-month -----------------------------------------------------------------------


def close_month(now: dt.datetime | None = None) -> list[Outcome]:
    """Close every month that is due, oldest first; stop at the first that is not ready."""
    with _context():
        moment = _now(now)
        outcomes = []
        for period in due_periods(moment):
            outcome = close_one(period, "scheduler", moment)
            outcomes.append(outcome)
            if outcome.status not in ("succeeded", "skipped"):
                break
        return outcomes


def due_periods(moment: dt.datetime) -> list[str]:
    """Open months whose close date has passed, and last month even with no data yet."""
    config = current_app.config
    day, hour = config["CHARGEBACK_CLOSE_BUSINESS_DAY"], config["CHARGEBACK_CLOSE_HOUR"]
    days = business_calendar(config)
    due = [p for p in periods.open_months(db.session)
           if due_at(p, day, hour, moment.tzinfo, days) <= moment]
    last = previous_period(moment)
    if due_at(last, day, hour, moment.tzinfo, days) <= moment \
            and periods.period(db.session, last) is None:
        due.append(last)
    db.session.rollback()
    return sorted(due)


def close_one(period: str, requested_by: str, moment: dt.datetime,
              run_id: int | None = None) -> Outcome:
    """Close one month if it is ready (or has waited long enough and may close anyway)."""
    run = job_runs.start(db.engine, "close-month", period, requested_by, run_id, _stale())
    if run is None:
        return Outcome("close-month", period, "skipped", "already running elsewhere")
    try:
        return _close_run(run, period, moment)
    except Exception as exc:  # a job never takes the scheduler down; the run says why
        db.session.rollback()
        log.exception("close-month %s failed", period)
        return _finish(run, period, "failed", _failure(exc))


def _failure(exc: Exception) -> str:
    """What a run that raised says: a deadlock or lock wait the database broke is named as
    such (the next run tries again), anything else as the error it was."""
    if isinstance(exc, DBAPIError) and is_contention(exc):
        return f"stopped: {CONTENTION}; the next run tries again"
    return f"error: {exc}"


def _finish(run, period, status, message, pack_id=None, job="close-month") -> Outcome:
    job_runs.finish(db.engine, run.id, status, message, pack_id)
    log.info("%s %s: %s: %s", job, period, status, message)
    return Outcome(job, period, status, message)


def _close_run(run, period: str, moment: dt.datetime) -> Outcome:
    publication.finish_interrupted(db.session)
    row = periods.period(db.session, period)
    if row is None:
        return _finish(run, period, "waiting", f"no data imported for {period} yet")
    if row.status == "closed":
        return _finish(run, period, "succeeded", f"{period} is already closed")
    note = _readiness_note(period, moment)
    if note is not None and note.startswith("waiting"):
        return _finish(run, period, "waiting", note)
    job_runs.progress(db.engine, run, 50, "closing")
    try:
        path = publication.close_and_publish(db.session, period,
                                             f"scheduler ({run.requested_by})",
                                             pack_dir=_pack_dir(), default_currency=_currency())
    except Refused as exc:
        return _finish(run, period, "failed", str(exc))
    pack = pack_files.latest(db.session, period)
    job_runs.progress(db.engine, run, 90, "telling finance")
    mailed = notify.pack_published(db.session, pack, current_app.config)
    message = f"closed; pack {Path(path).name}; mailed {mailed} finance user(s)"
    return _finish(run, period, "succeeded", (note + "; " if note else "") + message, pack.id)


def _readiness_note(period: str, moment: dt.datetime) -> str | None:
    """None when ready; "waiting: ..." when not; "closed anyway ..." when it may go ahead."""
    config = current_app.config
    problems = readiness.missing(db.session, period, config["CHARGEBACK_READINESS_EXTRA"])
    db.session.rollback()
    if not problems:
        return None
    since = job_runs.waiting_since(db.engine, "close-month", period) or moment
    days = (moment - since).days
    limit = config["CHARGEBACK_CLOSE_ANYWAY_AFTER_DAYS"]
    if limit is not None and days >= limit:
        return f"closed anyway after {days} day(s) waiting for: " + "; ".join(problems)
    return f"waiting ({days} day(s) so far) for: " + "; ".join(problems)


# --- provisional -----------------------------------------------------------------------


def provisional(now: dt.datetime | None = None, period: str | None = None,
                run_id: int | None = None, requested_by: str = "scheduler") -> Outcome:
    """Rate and allocate the open month with the data so far; write its draft pack."""
    with _context():
        target = period or _provisional_period(_now(now))
        if target is None:
            if run_id:
                job_runs.finish(db.engine, run_id, "succeeded",
                                "no open month: nothing to draft")
            return Outcome("provisional", None, "skipped", "no open month")
        run = job_runs.start(db.engine, "provisional", target, requested_by, run_id, _stale())
        if run is None:
            return Outcome("provisional", target, "skipped", "already running elsewhere")
        try:
            return _provisional_run(run, target)
        except Refused as exc:
            db.session.rollback()
            return _finish(run, target, "failed", str(exc), job="provisional")
        except Exception as exc:
            db.session.rollback()
            log.exception("provisional %s failed", target)
            return _finish(run, target, "failed", _failure(exc), job="provisional")


def _provisional_period(moment: dt.datetime) -> str | None:
    """The latest open month up to the current one."""
    current = current_period(moment)
    found = [p for p in periods.open_months(db.session) if p <= current]
    db.session.rollback()
    return found[-1] if found else None


def _provisional_run(run, period: str) -> Outcome:
    path = _pack_dir() / f"chargeback-{period}-provisional.xlsx"
    job_runs.progress(db.engine, run, 30, "rating and allocating the data so far")
    db.session.rollback()
    with write_transaction():  # SQLite: a writer from the start (the draft writes, then undoes)
        written = provisional_pack(db.session, period, path, _currency())
    db.session.rollback()  # nothing of the draft is kept but its file and its record
    pack = record_draft(db.session, period, written)
    db.session.commit()
    return _finish(run, period, "succeeded", f"draft pack {path.name} written", pack.id,
                   job="provisional")


# --- requests and housekeeping ---------------------------------------------------------


def process_requests(now: dt.datetime | None = None,
                     stop: threading.Event | None = None) -> list[Outcome]:
    """Run the queued runs (the web app's and the API's "run now" requests and big
    uploads), oldest first, one at a time, until none is left or ``stop`` is set; say the
    runner is alive."""
    with _context():
        job_runs.runner_beat(db.engine, _role, _every())
        outcomes = []
        while not (stop and stop.is_set()) and (run := job_runs.claim_next(db.engine)):
            outcomes.append(replace(run_request(run, _now(now)), run_id=run.id))
            job_runs.runner_beat(db.engine, _role, _every())
        return outcomes


def run_request(run, moment: dt.datetime) -> Outcome:
    """One claimed request; whatever happens, the request ends with a status of its own."""
    try:
        if run.job == upload_jobs.JOB:
            from chargeback.jobs.uploads import run_upload

            return run_upload(run, _stale())
        if run.job == "provisional":
            return provisional(moment, run.period, run.id, run.requested_by)
        period = run.period or previous_period(moment)
        job_runs.set_period(db.engine, run.id, period)
        return close_one(period, run.requested_by, moment, run.id)
    except Exception as exc:
        log.exception("run %s (%s) failed to start", run.id, run.job)
        job_runs.finish(db.engine, run.id, "failed", f"error: {exc}")
        return Outcome(run.job, run.period, "failed", f"error: {exc}", run.id)


def sweep_stale() -> int:
    """Free the locks of dead runs, finish or undo publications a dead run left, and remove
    stored uploads no queued or running run needs any more."""
    with _context():
        count = job_runs.release_stale(db.engine, stale_minutes=_stale())
        for outcome in publication.finish_interrupted(db.session):
            log.info("publication of %s: %s", outcome.period, outcome.message)
        folder = Path(current_app.config["CHARGEBACK_UPLOAD_DIR"])
        removed = upload_jobs.sweep(db.session, folder)
        db.session.rollback()
        if removed:
            log.info("removed %s stored upload(s) no run needs", removed)
        return count


def run_now(job: str, period: str | None, requested_by: str,
            now: dt.datetime | None = None) -> list[Outcome]:
    """``chargeback jobs run``: the job, in this process, now."""
    if job == "provisional":
        return [provisional(now, period, requested_by=requested_by)]
    if period is None:
        return close_month(now)
    with _context():
        return [close_one(period, requested_by, _now(now))]
