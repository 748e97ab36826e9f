"""Periods (list, close, reopen), the job runs that close them, and the packs they write.

Closing is a job: ``POST /periods/{period}/close`` queues a ``close-month`` run for the
scheduler and answers 202 with it (and ``Location`` to poll); the run closes the month if
its data is ready, or waits and says what is missing, exactly as a "run now" from the
Jobs page. Asking again while a close of that month is queued or running answers 202 with
the same run; closing a closed month is 409. Reopening is quick and answers at once.

A big upload (``POST /imports/{kind}`` above ``CHARGEBACK_UPLOAD_JOB_BYTES``) is a job run
too (job ``import``): its run names the upload and, once done, its batch. A unit head may
follow their own uploads' runs, and no other run.
"""

from __future__ import annotations

from pathlib import Path

from flask import send_file, url_for

from chargeback.access import ALL_ROLES, MANAGE, READ_ALL, sees_every_unit
from chargeback.api.auth import access, current_user, errors, fail
from chargeback.api.extension import Blueprint
from chargeback.api.pagination import decode, encode, link_header
from chargeback.api.schemas import (
    JobRunPageSchema,
    JobRunSchema,
    ListQuery,
    PackSchema,
    PacksQuery,
    PeriodSchema,
    ReopenSchema,
)
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services import job_runs, upload_jobs
from chargeback.services.closing import reopen_period
from chargeback.services.publication import close_refusal
from chargeback.services.queries import packs as pack_files
from chargeback.services.queries import periods as months
from chargeback.services.queries import runs

bp = Blueprint("periods", __name__, url_prefix="/api/v1",
               description="Periods, closing them as jobs, job runs and packs.")

PERIOD = "<period:period>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JOB_ID = "<id:run_id>"
PACK_ID = "<id:pack_id>"


def period_dict(row) -> dict:
    return {"period": row.period, "status": row.status, "closed_at": row.closed_at,
            "closed_by": row.closed_by, "close_count": row.close_count}


def run_dict(run) -> dict:
    return {"id": run.id, "job": run.job, "period": run.period, "status": run.status,
            "progress": run.progress, "requested_by": run.requested_by,
            "created_at": run.created_at, "started_at": run.started_at,
            "finished_at": run.finished_at, "message": run.message, "pack_id": run.pack_id,
            "batch_id": run.batch_id,
            "batch_url": url_for("imports.batch", batch_id=run.batch_id)
            if run.batch_id else None,
            "upload": {"kind": run.upload_kind, "filename": run.upload_filename,
                       "bytes": run.upload_bytes or 0, "replace": bool(run.upload_replace)}
            if run.upload_kind else None}


def _period(period: str):
    row = months.period(db.session, period)
    if row is None:
        fail(404, f"There is no period {period}: a month exists once data for it is imported.")
    return row


@bp.route("/periods")
@access(*READ_ALL)
@bp.response(200, PeriodSchema(many=True))
def periods():
    """Every month, newest first, open or closed."""
    return [period_dict(p) for p in months.every(db.session)]


@bp.route(f"/periods/{PERIOD}")
@access(*READ_ALL)
@errors(404)
@bp.response(200, PeriodSchema)
def period(period: str):
    """One month."""
    return period_dict(_period(period))


@bp.route(f"/periods/{PERIOD}/close", methods=["POST"])
@access(*MANAGE)
@errors(404, 409)
@bp.response(202, JobRunSchema, description="Queued: poll the run at Location",
             headers={"Location": {"description": "the job run",
                                   "schema": {"type": "string"}}})
def close(period: str):
    """Queue the close of `period` for the scheduler; 202 with the job run."""
    row = _period(period)
    refusal = close_refusal(db.session, period)
    if refusal:
        fail(409, refusal, {"period": [f"{period} is {row.status}."]})
    run = runs.pending_close(db.session, period) or job_runs.queue(
        db.session, "close-month", period, current_user().email)
    return run_dict(run), 202, {
        "Location": url_for("periods.job_run", run_id=run.id)}


@bp.route(f"/periods/{PERIOD}/reopen", methods=["POST"])
@access(*MANAGE)
@errors(400, 404, 409, 413)
@bp.arguments(ReopenSchema)
@bp.response(200, PeriodSchema)
def reopen(args: dict, period: str):
    """Open a closed month again for corrections; the reason goes in the audit log. The
    next close writes the next pack revision and the earlier pack stays."""
    _period(period)
    try:
        row = reopen_period(db.session, period, args["reason"], current_user().email)
    except Refused as exc:
        fail(409, str(exc), {"period": exc.messages})
    return period_dict(row)


# --- job runs -----------------------------------------------------------------------------


@bp.route("/job-runs")
@access(*READ_ALL)
@bp.arguments(ListQuery, location="query")
@bp.response(200, JobRunPageSchema)
def job_runs_list(args: dict):
    """What the scheduler ran and is running, newest first."""
    rows, last = runs.keyset(db.session, decode("job-runs", args.get("cursor")), args["limit"])
    cursor = encode("job-runs", last)
    return {"items": [run_dict(r) for r in rows], "next_cursor": cursor}, link_header(cursor)


@bp.route(f"/job-runs/{JOB_ID}")
@access(*ALL_ROLES)
@errors(404)
@bp.response(200, JobRunSchema)
def job_run(run_id: int):
    """One run: status (queued, running, succeeded, failed, waiting), progress, message;
    an upload's run also its file and, once done, its batch (`batch_url`: its status and
    row errors). A unit head sees the runs of their own uploads only."""
    try:
        found = runs.run(db.session, run_id)
    except Refused as exc:
        fail(404, " ".join(exc.messages))
    user = current_user()
    if not sees_every_unit(user) and not (found.job == upload_jobs.JOB
                                          and found.requested_by == user.email):
        fail(403, "A unit head follows the runs of their own uploads only.")
    return run_dict(found)


# --- packs --------------------------------------------------------------------------------


def pack_dict(pack) -> dict:
    return {"id": pack.id, "period": pack.period, "kind": pack.kind, "revision": pack.revision,
            "filename": Path(pack.path).name, "sha256": pack.sha256,
            "created_by": pack.created_by, "created_at": pack.created_at,
            "on_server": pack_files.on_server(pack)}


@bp.route("/packs")
@access(*READ_ALL)
@bp.arguments(PacksQuery, location="query")
@bp.response(200, PackSchema(many=True))
def packs(args: dict):
    """Every pack (final revisions and the provisional draft), newest period first. Unit
    heads get no packs: a pack holds every unit's figures."""
    return [pack_dict(p) for p in pack_files.every(db.session, args.get("period"))]


@bp.route(f"/packs/{PACK_ID}/download")
@access(*READ_ALL)
@errors(404, 409)
@bp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
             description="The workbook, as an attachment under its own file name")
def pack_download(pack_id: int):
    """The pack's XLSX file, checked against the checksum recorded when it was written: a
    missing file is 404, a file changed since is 409 (it is not served)."""
    try:
        pack = pack_files.pack(db.session, pack_id)
    except Refused as exc:
        fail(404, " ".join(exc.messages))
    try:
        path = pack_files.verified_file(pack)
    except (pack_files.PackMissing, pack_files.PackChanged) as exc:
        fail(404 if isinstance(exc, pack_files.PackMissing) else 409, " ".join(exc.messages))
    return send_file(path, mimetype=XLSX, as_attachment=True, download_name=path.name,
                     max_age=0)
