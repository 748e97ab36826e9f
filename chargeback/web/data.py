"""Data pages: import files (the command line's service), download packs, close and reopen.

Who may do what is in ``docs/web.md``. In short: every role imports the kinds
``access.importable_kinds`` gives it, a unit head only for the units in their scope and
seeing only their own batches; packs hold every unit's figures, so unit heads get none;
finance reads the periods, central IT and admin close and reopen them.

A file above ``CHARGEBACK_UPLOAD_JOB_BYTES`` is not imported in the request: it is stored
and queued for the job runner with the uploader's rights (``services.upload_jobs``), and
the answer is its job page, which follows the run's progress to its batch.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from chargeback import access
from chargeback.access import ALL_ROLES, MANAGE, PACK_ROLES, READ_ALL
from chargeback.extensions import db
from chargeback.importing import samples
from chargeback.importing.limits import ImportLimits
from chargeback.importing.schemas import columns
from chargeback.refusals import NotFound, Refused
from chargeback.services import calendar, job_runs, upload_jobs
from chargeback.services.closing import reopen_period
from chargeback.services.importing import import_file
from chargeback.services.publication import close_and_publish
from chargeback.services.queries import imports as batches
from chargeback.services.queries import listing
from chargeback.services.queries import packs as pack_files
from chargeback.services.queries import periods as months
from chargeback.unit_of_work import keep_refused
from chargeback.vocabulary import IMPORT_KINDS, PERIOD_OPEN, REPLACEABLE_KINDS
from chargeback.web import downloads
from chargeback.web.guards import page_number, roles
from rules.vocabulary import is_period

bp = Blueprint("data", __name__, template_folder="templates")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_ERRORS_SHOWN = 20  # on an upload's page; its batch's page shows every stored one


def when(value: dt.datetime | None) -> str:
    """A stored timestamp in UTC, minutes (SQLite hands back naive UTC, PostgreSQL aware)."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


@bp.app_context_processor
def _helpers() -> dict:
    return {"when": when}


# --- imports ------------------------------------------------------------------------------


class ImportForm(FlaskForm):
    kind = SelectField("Kind", validators=[DataRequired()])
    file = FileField("File (CSV or XLSX, header row first)",
                     validators=[FileRequired("Choose a CSV or XLSX file.")])
    replace = BooleanField("Replace the stored lines of the months and units the file covers "
                           "(spend and usage only)")

    def validate_replace(self, field):
        if field.data and self.kind.data not in REPLACEABLE_KINDS:
            raise ValidationError(f"Replace applies to {' and '.join(REPLACEABLE_KINDS)} "
                                  f"files; {self.kind.data} rows always replace their stored "
                                  "value.")


@dataclass
class Outcome:
    """What an upload came to: ``status`` as a batch's, the message, and its batch."""

    status: str
    summary: str
    batch_id: int | None


@bp.route("/imports", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def imports():
    form = ImportForm()
    form.kind.choices = [SelectChoice(k) for k in access.importable_kinds(current_user)]
    if form.validate_on_submit():
        size = upload_jobs.size_of(form.file.data.stream)
        if upload_jobs.is_big(size, current_app.config["CHARGEBACK_UPLOAD_JOB_BYTES"]):
            run = _queue_upload(form, size)
            flash(f"{run.upload_filename} ({upload_jobs.size_text(size)}) is imported by the "
                  f"job runner as run {run.id}: this page follows it.", "info")
            return redirect(url_for("data.upload_job", run_id=run.id))
        outcome = _import_upload(form)
        category = {"stored": "success", "already_imported": "info"}.get(outcome.status,
                                                                           "danger")
        flash(outcome.summary, category)
        if outcome.status == "refused":
            keep_refused()  # the refused batch stays on record with its errors
        batch = _visible_batch(outcome.batch_id)
        if batch is not None:
            return redirect(url_for("data.batch", batch_id=batch.id))
        return redirect(url_for("data.imports"))
    status = 400 if request.method == "POST" else 200
    kinds = {k: columns(k) for k in access.importable_kinds(current_user)}
    asked = listing.parse(batches.LIST, request.args)
    page = batches.page(db.session, access.batches_of(current_user), asked)
    uploads = upload_jobs.latest(db.session, access.batches_of(current_user))
    return render_template("data/imports.html", form=form, page=page, kinds=kinds,
                           spec=batches.LIST, asked=asked,
                           own_only=not access.sees_every_unit(current_user),
                           uploads=uploads, runner=_runner() if uploads else None,
                           job_bytes=current_app.config["CHARGEBACK_UPLOAD_JOB_BYTES"],
                           size_text=upload_jobs.size_text), status


def _visible_batch(batch_id: int | None):
    if batch_id is None:
        return None
    found = batches.batch(db.session, batch_id)
    return found if access.may_see_batch(current_user, found) else None


def _filename(upload) -> str:
    """The uploaded file's own name, for display: never a path on the server."""
    return re.split(r"[\\/]", upload.filename or "upload")[-1][:255] or "upload"


def _import_upload(form: ImportForm) -> Outcome:
    """Save the upload to a temporary file and import it as one batch."""
    upload = form.file.data
    filename = _filename(upload)
    with tempfile.TemporaryDirectory(prefix="chargeback-upload-") as folder:
        path = Path(folder) / "upload"
        upload.save(path)
        with path.open("rb") as stream:
            result = import_file(db.session, form.kind.data, stream, filename,
                                 actor=current_user.email, replace=bool(form.replace.data),
                                 allowed_unit_codes=access.import_scope(db.session,
                                                                        current_user),
                                 limits=ImportLimits.from_config(current_app.config))
    return Outcome(result.status, result.summary(), result.batch_id)


def _queue_upload(form: ImportForm, size: int):
    """Store the upload and queue its import as the uploader, with their unit scope now."""
    upload = form.file.data
    return upload_jobs.queue(
        db.session, Path(current_app.config["CHARGEBACK_UPLOAD_DIR"]), upload.save,
        kind=form.kind.data, filename=_filename(upload), size=size,
        replace=bool(form.replace.data), scope=access.import_scope(db.session, current_user),
        requested_by=current_user.email)


def _runner() -> job_runs.Runner:
    from chargeback.web.jobs import runner_state

    return runner_state()


def _visible_upload(run_id: int):
    """The upload's run, if the user may follow it: their own, or anyone's for the roles
    that see every batch (404 for no upload run at all)."""
    run = upload_jobs.run(db.session, run_id)
    if not (access.sees_every_unit(current_user) or run.requested_by == current_user.email):
        abort(403)
    return run


@bp.get("/imports/jobs/<int:run_id>")
@roles(*ALL_ROLES)
def upload_job(run_id: int):
    """A big upload's run: queued (and whether a runner will take it), its progress, then
    what it came to, with a link to its batch."""
    run = _visible_upload(run_id)
    batch = _visible_batch(run.batch_id)
    errors = [str(p) for p in batches.problems(batch)][:UPLOAD_ERRORS_SHOWN] if batch else []
    return render_template("data/upload_job.html", run=run, batch=batch, errors=errors,
                           runner=_runner(), size_text=upload_jobs.size_text)


@bp.get("/imports/jobs/<int:run_id>.json")
@roles(*ALL_ROLES)
def upload_job_json(run_id: int):
    """The run's state, for the job page's live progress."""
    run = _visible_upload(run_id)
    return jsonify({"id": run.id, "status": run.status, "progress": run.progress,
                    "message": run.message or "",
                    "done": run.status not in upload_jobs.PENDING,
                    "batch_url": url_for("data.batch", batch_id=run.batch_id)
                    if run.batch_id else None})


@bp.get("/imports/<int:batch_id>")
@roles(*ALL_ROLES)
def batch(batch_id: int):
    row = batches.batch(db.session, batch_id)
    if not access.may_see_batch(current_user, row):
        abort(403)
    errors = [str(p) for p in batches.problems(row)]
    return render_template("data/batch.html", batch=row, errors=errors)


@bp.get(f"/imports/<int:batch_id>/errors.<any({downloads.FORMATS}):fmt>")
@roles(*ALL_ROLES)
def batch_errors(batch_id: int, fmt: str):
    """A batch's stored row errors (line, column, message), as its page lists them."""
    from reports.export import Section, text_columns

    row = batches.batch(db.session, batch_id)
    if not access.may_see_batch(current_user, row):
        abort(403)
    problems = batches.problems(row)
    columns = (*text_columns("Line", width=8), *text_columns("Column", "Message", width=40))
    rows = [(str(p.line) if p.line is not None else "", p.column or p.field or "",
             p.message) for p in problems]
    return downloads.send(fmt, f"batch-{row.id}-errors", [Section("Errors", columns, rows)])


@bp.get(f"/imports/samples/<kind>.<any({downloads.FORMATS}):fmt>")
@roles(*ALL_ROLES)
def import_sample(kind: str, fmt: str):
    """A sample file of ``kind``: the importer's columns and a few valid rows
    (``importing.samples``). Every role may read every kind's sample."""
    if kind not in IMPORT_KINDS:
        raise NotFound(f"There is no import kind {kind!r}.", kind="kind")
    body = samples.xlsx_bytes(kind) if fmt == "xlsx" else samples.csv_text(kind).encode()
    return downloads.attachment(fmt, f"sample-{kind}", body)


# --- packs --------------------------------------------------------------------------------


@bp.get("/packs")
@roles(*PACK_ROLES)
def packs():
    asked = listing.parse(pack_files.LIST, request.args)
    page = pack_files.page(db.session, asked)
    on_disk = {p.id: pack_files.on_server(p) for p in page.items}
    groups = pack_files.by_period(page.items)
    return render_template("data/packs.html", page=page, groups=groups,
                           spec=pack_files.LIST, asked=asked, on_disk=on_disk,
                           state={period: _month_state(period) for period, _ in groups},
                           latest=pack_files.latest_revisions(db.session,
                                                              [period for period, _ in groups]),
                           name_of=lambda p: Path(p.path).name)


def _month_state(period: str) -> str:
    """What a month's packs stand for now, from the period itself: ``closed`` (its latest
    final pack is its figures), ``reopened`` (closed before, open for corrections now: its
    last pack is no longer final word, its statements are not shown), ``publishing`` or
    ``open`` (never closed: only a provisional draft)."""
    row = months.period(db.session, period)
    if row is None or row.status == PERIOD_OPEN:
        return "reopened" if row is not None and row.close_count else "open"
    return row.status


@bp.get("/packs/<int:pack_id>/download")
@roles(*PACK_ROLES)
def pack_download(pack_id: int):
    pack = pack_files.pack(db.session, pack_id)
    try:
        path = pack_files.verified_file(pack)
    except (pack_files.PackMissing, pack_files.PackChanged) as exc:
        missing = isinstance(exc, pack_files.PackMissing)
        status, title = (404, "Pack file missing") if missing else (409, "Pack file changed")
        return render_template("error.html", status=status, title=title,
                               text=" ".join(exc.messages)), status
    return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=path.name, max_age=0)


# --- periods ------------------------------------------------------------------------------


class ReopenForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[
        DataRequired("A reason is required: it goes in the audit log."), Length(max=1000)])


def _period_or_404(period: str) -> str:
    if not is_period(period) or months.period(db.session, period) is None:
        raise NotFound(f"There is no period {period}.", kind="period")
    return period


def _periods_page(status: int = 200, *, failed: str | None = None,
                  form: ReopenForm | None = None, refusal: list[str] | None = None):
    return render_template("data/periods.html", page=months.page(db.session, page_number()),
                           may_act=current_user.role in MANAGE, failed=failed,
                           failed_form=form, refusal=refusal, **_close_schedule()), status


def _close_schedule() -> dict:
    """The business-day calendar and when the open months, last month (unless closed) and
    this month fall due."""
    config = current_app.config
    tz = ZoneInfo(config["CHARGEBACK_TIMEZONE"])
    now = dt.datetime.now(tz)
    days = calendar.from_config(config)
    due = set(months.open_months(db.session)) | {calendar.current_period(now)}
    last = calendar.previous_period(now)
    if months.period(db.session, last) is None:
        due.add(last)  # it falls due even before any of its data arrived
    schedule = calendar.close_schedule(due, config["CHARGEBACK_CLOSE_BUSINESS_DAY"],
                                       config["CHARGEBACK_CLOSE_HOUR"], tz, days)
    return {"business_calendar": days, "schedule": schedule[-6:],
            "close_day": config["CHARGEBACK_CLOSE_BUSINESS_DAY"]}


@bp.get("/periods")
@roles(*READ_ALL)
def periods():
    return _periods_page()


@bp.post("/periods/<period>/close")
@roles(*MANAGE)
def period_close(period: str):
    """Runs in the request; the close commits on its own (it is two transactions)."""
    _period_or_404(period)
    try:
        path = close_and_publish(db.session, period, current_user.email,
                                 pack_dir=Path(current_app.config["CHARGEBACK_PACK_DIR"]),
                                 default_currency=current_app.config["CHARGEBACK_CURRENCY"])
    except Refused as exc:
        return _periods_page(409, failed=period, refusal=str(exc).splitlines())
    flash(f"Period {period} closed; its pack {path.name} is on the Packs page.", "success")
    return redirect(url_for("data.periods"))


@bp.post("/periods/<period>/reopen")
@roles(*MANAGE)
def period_reopen(period: str):
    _period_or_404(period)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _periods_page(400, failed=period, form=form)
    try:
        reopen_period(db.session, period, form.reason.data, current_user.email)
    except Refused as exc:
        return _periods_page(409, failed=period, refusal=exc.messages)
    flash(f"Period {period} reopened; close it again to publish a new pack revision.", "success")
    return redirect(url_for("data.periods"))
