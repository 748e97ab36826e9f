"""Big uploads are jobs: store the file, queue its import for the job runner, clean up.

A file above the upload threshold is not imported in the request (a 50 MB usage file
outlives any sane web timeout): the request stores it in the upload folder under a
generated name (the uploader's file name is kept for display only, never used as a path)
and queues a job run of kind ``import`` that records the uploader's rights as they were at
the upload: the import kind, the replace flag and the unit scope (a unit head's units).
The runner (``chargeback.jobs.uploads``) imports it with the same service as a direct
upload, as the uploader, and deletes the stored file when the run ends, whatever became of
it. ``sweep`` removes what a dead request or runner left behind.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import JobRun
from chargeback.refusals import NotFound

JOB = "import"
PENDING = ("queued", "running")
NAME = re.compile(r"^[0-9a-f]{32}\.upload$")
LEFTOVER_AFTER = dt.timedelta(hours=1)
"""A stored file no queued or running run names is removed once it is this old (younger
ones may belong to a request that has not committed its run yet)."""


class UploadMissing(Exception):
    """The run's stored file is not in the upload folder (removed, or another folder)."""


def is_big(size: int, threshold: int) -> bool:
    """Whether an upload of ``size`` bytes goes to the job runner."""
    return size > threshold


def queue(session: Session, folder: Path, save: Callable[[Path], object], *, kind: str,
          filename: str, size: int, replace: bool, scope: set[str] | None,
          requested_by: str) -> JobRun:
    """Store the upload (``save(path)`` writes it) and queue its import; the run is the
    caller's work, committed with its request. A failure here removes the file again."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.upload"
    path = folder / name
    try:
        save(path)
        run = JobRun(job=JOB, period=None, requested_by=requested_by, status="queued",
                     message=f"queued: {filename} ({size_text(size)})",
                     upload_kind=kind, upload_filename=filename[:255], upload_name=name,
                     upload_bytes=size, upload_replace=replace,
                     upload_scope={"units": None if scope is None else sorted(scope)})
        session.add(run)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return run


def size_text(size: int) -> str:
    """A file's size as people read it: 52.4 MB, 830 kB, 64 bytes."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:,.1f} MB"
    if size >= 1_000:
        return f"{size / 1_000:,.0f} kB"
    return f"{size} bytes"


def path_of(folder: Path, run: JobRun) -> Path:
    """Where the run's file is stored: only a name this module generated, in ``folder``."""
    if not run.upload_name or not NAME.match(run.upload_name):
        raise UploadMissing(f"run {run.id} names no stored upload")
    path = folder / run.upload_name
    if not path.is_file():
        raise UploadMissing(f"the stored file of run {run.id} is gone")
    return path


def scope_of(run: JobRun) -> set[str] | None:
    """The unit codes the uploader's rows may name (None: every unit), as computed at the
    upload. A run that recorded none is refused rather than run without a limit."""
    scope = run.upload_scope
    if not isinstance(scope, dict) or "units" not in scope:
        raise ValueError(f"run {run.id} recorded no unit scope")
    units = scope["units"]
    return None if units is None else set(units)


def discard(folder: Path, run: JobRun) -> None:
    """Remove the run's stored file (its run has ended, whatever became of it)."""
    if run.upload_name and NAME.match(run.upload_name):
        (folder / run.upload_name).unlink(missing_ok=True)


def sweep(session: Session, folder: Path, older_than: dt.timedelta = LEFTOVER_AFTER) -> int:
    """Remove stored files no queued or running run names (a request that stored its file
    and then failed, a runner killed before it cleaned up); returns how many."""
    if not folder.is_dir():
        return 0
    wanted = set(session.scalars(select(JobRun.upload_name).where(
        JobRun.job == JOB, JobRun.status.in_(PENDING), JobRun.upload_name.is_not(None))))
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.iterdir():
        if NAME.match(path.name) and path.name not in wanted and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def percent(read: int, size: int) -> int:
    """A running import's progress: the share of its file read, kept between 5 (started)
    and 99 (100 is for a run that ended well)."""
    if size <= 0:
        return 5
    return max(5, min(99, read * 100 // size))


# --- reading them -------------------------------------------------------------------------


def run(session: Session, run_id: int) -> JobRun:
    """One upload's run; NotFound for another job's run or none."""
    found = session.get(JobRun, run_id)
    if found is None or found.job != JOB:
        raise NotFound(f"There is no upload job {run_id}.", kind="run")
    return found


def latest(session: Session, requested_by: str | None, limit: int = 5) -> list[JobRun]:
    """The latest upload runs, of one uploader or (None) of everyone."""
    query = select(JobRun).where(JobRun.job == JOB)
    if requested_by is not None:
        query = query.where(JobRun.requested_by == requested_by)
    return list(session.scalars(query.order_by(JobRun.id.desc()).limit(limit)))



def size_of(stream: BinaryIO) -> int:
    """An uploaded file's size in bytes, without reading it (the web server keeps an upload
    in a seekable buffer or temporary file); the stream is left where it was."""
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size
