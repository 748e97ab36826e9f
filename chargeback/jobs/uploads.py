"""The ``import`` job: a big upload, imported by the runner as its uploader would have been.

The request that took the file stored it and queued a run (``services.upload_jobs``); here
the runner imports it through the one import service, with the uploader as the actor, the
kind and replace flag they chose and the unit scope computed at the upload, in one
transaction: stored whole, refused whole (the refused batch keeps its row errors), or
nothing at all if the run dies. The run ends ``succeeded`` (stored, or already imported)
or ``failed`` (refused, or an error), names its batch, and the stored file is removed
either way.

Progress is the share of the file read (``import_file`` reports the bytes). On PostgreSQL
each step is written at once, beside the import's own transaction. SQLite has one writer at
a time and the import is it, so there the run shows 5 % until it ends.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from chargeback.db_setup import is_contention, write_transaction
from chargeback.extensions import db
from chargeback.failpoints import failpoint
from chargeback.importing.limits import ImportLimits
from chargeback.jobs.targets import Outcome
from chargeback.models import JobRun
from chargeback.refusals import CONTENTION, Refused
from chargeback.services import job_runs, upload_jobs
from chargeback.services.importing import import_file

log = logging.getLogger("chargeback.jobs")


def upload_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_UPLOAD_DIR"])


class Progress:
    """``import_file``'s progress callback: bytes read -> the run's percent, written only
    when it moves (at most 95 small writes) and only where a second writer may write."""

    def __init__(self, engine: Engine, run: JobRun):
        self.engine, self.run, self.shown = engine, run, 5
        self.live = engine.dialect.name != "sqlite"

    def __call__(self, read: int) -> None:
        size = self.run.upload_bytes or 0
        percent = upload_jobs.percent(read, size)
        if not self.live or percent <= self.shown:
            return
        self.shown = percent
        job_runs.progress(self.engine, self.run, percent,
                          f"importing {self.run.upload_filename}: "
                          f"{upload_jobs.size_text(min(read, size))} of "
                          f"{upload_jobs.size_text(size)} read")


def run_upload(run: JobRun, stale_minutes: int) -> Outcome:
    """Import one claimed upload run; whatever happens, its stored file is removed."""
    folder = upload_dir()
    started = job_runs.start(db.engine, upload_jobs.JOB, None, run.requested_by, run.id,
                             stale_minutes, key=f"{upload_jobs.JOB}:{run.id}")
    if started is None:  # the claim gave it to this process only: not expected to happen
        return _outcome(run, "skipped", "already running elsewhere")
    size = upload_jobs.size_text(run.upload_bytes or 0)
    try:
        job_runs.progress(db.engine, started, 5, f"importing {run.upload_filename} ({size})")
        return _import(started, folder)
    finally:
        upload_jobs.discard(folder, run)


def _import(run: JobRun, folder: Path) -> Outcome:
    db.session.rollback()  # the import starts a transaction of its own
    try:
        path = upload_jobs.path_of(folder, run)
        with write_transaction(), path.open("rb") as stream:  # SQLite: a writer from the start
            result = import_file(db.session, run.upload_kind, stream, run.upload_filename,
                                 actor=run.requested_by, replace=bool(run.upload_replace),
                                 progress=Progress(db.engine, run),
                                 allowed_unit_codes=upload_jobs.scope_of(run),
                                 limits=ImportLimits.from_config(current_app.config))
            failpoint("upload-job.before-commit")
            db.session.commit()  # a refused batch is kept too, with its row errors
    except upload_jobs.UploadMissing as exc:
        return _finish(run, "failed", f"{exc}: nothing was imported; upload the file again")
    except Refused as exc:
        db.session.rollback()
        return _finish(run, "failed", f"{run.upload_filename}: {exc}; nothing was stored")
    except Exception as exc:  # the run says why; the import's transaction left nothing
        db.session.rollback()
        log.exception("import run %s failed", run.id)
        return _finish(run, "failed", _failure(run, exc))
    status = "failed" if result.status == "refused" else "succeeded"
    return _finish(run, status, result.summary(), result.batch_id)


def _failure(run: JobRun, exc: Exception) -> str:
    if isinstance(exc, DBAPIError) and is_contention(exc):
        return f"{run.upload_filename}: stopped: {CONTENTION}; upload the file again"
    return f"{run.upload_filename}: error: {exc}; nothing was stored"


def _finish(run: JobRun, status: str, message: str, batch_id: int | None = None) -> Outcome:
    job_runs.finish(db.engine, run.id, status, message, batch_id=batch_id)
    log.info("import run %s: %s: %s", run.id, status, message)
    return _outcome(run, status, message)


def _outcome(run: JobRun, status: str, message: str) -> Outcome:
    return Outcome(upload_jobs.JOB, None, status, message, run.id)
