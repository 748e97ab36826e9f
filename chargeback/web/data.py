"""Data pages: import files (the command line's service), download packs, close and reopen.

Who may do what is in ``docs/web.md``. In short: every role imports the kinds
``access.importable_kinds`` gives it, a unit head only for the units in their scope and
seeing only their own batches; packs hold every unit's figures, so unit heads get none;
finance reads the periods, central IT and admin close and reopen them.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from chargeback.extensions import db
from chargeback.importing.schemas import columns
from chargeback.models import ImportBatch, PackFile, Period, Unit
from chargeback.services.close_runner import close_and_publish
from chargeback.services.closing import reopen_period
from chargeback.services.importing import REPLACEABLE, import_file
from chargeback.services.periods import PeriodRefused
from chargeback.web.access import ALL_ROLES, MANAGE, READ_ALL, importable_kinds, roles, subtree_ids
from rules.vocabulary import is_period

bp = Blueprint("data", __name__, template_folder="templates")

PER_PAGE = 50
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PACK_ROLES = READ_ALL  # not unit heads: a pack holds every unit's figures


# --- shared by the data and admin pages ---------------------------------------------------


@dataclass
class Page:
    """One page of a list: ``number`` is 1-based and always within 1..pages."""

    items: list
    number: int
    pages: int
    total: int


def page_of(query, per_page: int = PER_PAGE) -> Page:
    """The ``?page=N`` slice of ``query``; a bad or out-of-range N shows the nearest page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    number = min(max(request.args.get("page", 1, type=int), 1), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return Page(items, number, pages, total)


def when(value: dt.datetime | None) -> str:
    """A stored timestamp in UTC, minutes (SQLite hands back naive UTC, PostgreSQL aware)."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


@bp.context_processor
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
        if field.data and self.kind.data not in REPLACEABLE:
            raise ValidationError(f"Replace applies to {' and '.join(REPLACEABLE)} files; "
                                  f"{self.kind.data} rows always replace their stored value.")


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
    form.kind.choices = [SelectChoice(k) for k in importable_kinds(current_user)]
    if form.validate_on_submit():
        outcome = _import_upload(form)
        category = {"stored": "success", "already_imported": "info"}.get(outcome.status,
                                                                           "danger")
        flash(outcome.summary, category)
        batch = db.session.get(ImportBatch, outcome.batch_id) if outcome.batch_id else None
        if batch is not None and _may_see(batch):
            return redirect(url_for("data.batch", batch_id=batch.id))
        return redirect(url_for("data.imports"))
    status = 400 if request.method == "POST" else 200
    kinds = {k: columns(k) for k in importable_kinds(current_user)}
    return render_template("data/imports.html", form=form, page=page_of(_batches()),
                           kinds=kinds, own_only=current_user.role not in READ_ALL), status


def _batches():
    query = select(ImportBatch).order_by(ImportBatch.id.desc())  # ids grow: newest first
    if current_user.role not in READ_ALL:
        query = query.where(ImportBatch.actor == current_user.email)
    return query


def _may_see(batch: ImportBatch) -> bool:
    """Finance, central IT and admin see every batch; a unit head only their own."""
    return current_user.role in READ_ALL or batch.actor == current_user.email


def _import_upload(form: ImportForm) -> Outcome:
    """Save the upload, import it, commit once; roll back whole on any error."""
    upload = form.file.data
    filename = re.split(r"[\\/]", upload.filename or "upload")[-1][:255] or "upload"
    try:
        with tempfile.TemporaryDirectory(prefix="chargeback-upload-") as folder:
            path = Path(folder) / "upload"
            upload.save(path)
            outcome = _import_saved(path, form.kind.data, filename, bool(form.replace.data))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return outcome


def _import_saved(path: Path, kind: str, filename: str, replace: bool) -> Outcome:
    with path.open("rb") as stream:
        result = import_file(db.session, kind, stream, filename, actor=current_user.email,
                             replace=replace, allowed_unit_codes=_scope_codes())
    return Outcome(result.status, result.summary(), result.batch_id)


def _scope_codes() -> set[str] | None:
    """The unit codes a unit head may import for (their units and below); None: any."""
    if current_user.role != "unit_head":
        return None
    ids = subtree_ids({u.id for u in current_user.units})
    return set(db.session.scalars(select(Unit.code).where(Unit.id.in_(ids)))) if ids else set()


@bp.get("/imports/<int:batch_id>")
@roles(*ALL_ROLES)
def batch(batch_id: int):
    row = db.session.get(ImportBatch, batch_id)
    if row is None:
        abort(404)
    if not _may_see(row):
        abort(403)
    errors = row.errors.splitlines() if row.errors else []
    return render_template("data/batch.html", batch=row, errors=errors)


# --- packs --------------------------------------------------------------------------------


@bp.get("/packs")
@roles(*PACK_ROLES)
def packs():
    page = page_of(select(PackFile).order_by(PackFile.period.desc(), PackFile.kind,
                                             PackFile.revision.desc()))
    groups = [(period, list(rows)) for period, rows in groupby(page.items,
                                                               key=lambda p: p.period)]
    on_disk = {p.id: Path(p.path).is_file() for p in page.items}
    return render_template("data/packs.html", page=page, groups=groups, on_disk=on_disk,
                           name_of=lambda p: Path(p.path).name)


@bp.get("/packs/<int:pack_id>/download")
@roles(*PACK_ROLES)
def pack_download(pack_id: int):
    pack = db.session.get(PackFile, pack_id)
    if pack is None:
        abort(404)
    path = Path(pack.path)
    if not path.is_file():
        text = (f"The pack {path.name} (period {pack.period}, revision {pack.revision}) is "
                "recorded but its file is no longer on the server. Central IT can write it "
                f"again from the stored figures with `chargeback pack {pack.period}`.")
        return render_template("error.html", status=404, title="Pack file missing",
                               text=text), 404
    return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=path.name, max_age=0)


# --- periods ------------------------------------------------------------------------------


class ReopenForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[
        DataRequired("A reason is required: it goes in the audit log."), Length(max=1000)])


class CloseRefusal(Exception):
    """The close said no; the message goes back to the page."""


def _refuse(message: str) -> None:
    raise CloseRefusal(message)


def _period_or_404(period: str) -> Period:
    row = db.session.get(Period, period) if is_period(period) else None
    if row is None:
        abort(404)
    return row


def _periods_page(status: int = 200, *, failed: str | None = None,
                  form: ReopenForm | None = None, refusal: list[str] | None = None):
    page = page_of(select(Period).order_by(Period.period.desc()))
    return render_template("data/periods.html", page=page, may_act=current_user.role in MANAGE,
                           failed=failed, failed_form=form, refusal=refusal), status


@bp.get("/periods")
@roles(*READ_ALL)
def periods():
    return _periods_page()


@bp.post("/periods/<period>/close")
@roles(*MANAGE)
def period_close(period: str):
    """Runs in the request for now (a later issue queues it); the runner commits itself."""
    _period_or_404(period)
    try:
        path = close_and_publish(period, current_user.email, _refuse)
    except CloseRefusal as exc:
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
    except PeriodRefused as exc:
        db.session.rollback()
        return _periods_page(409, failed=period, refusal=[str(exc)])
    db.session.commit()
    flash(f"Period {period} reopened; close it again to publish a new pack revision.", "success")
    return redirect(url_for("data.periods"))
