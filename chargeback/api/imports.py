"""Imports through the API: a file (multipart) or JSON rows, through the one import service.

The rules are the command line's and the web page's (``docs/imports.md``): one upload is one
batch, stored whole or refused whole with every bad row as ``line N: column: message``; a
byte-identical upload is "already imported". JSON rows are written as a CSV file (a header
of the keys in the order first seen, then one line per row) and imported as that file, so
``line 2`` is ``rows[0]``. A unit head imports metrics for their own units only, as on the
web page. Answers: 201 with the stored batch, 200 for "already imported", 422 with the
refused batch and its row errors.

A file (or the CSV of JSON rows) above ``CHARGEBACK_UPLOAD_JOB_BYTES`` is not imported in
the request: it is stored and queued for the job runner with the caller's rights, and the
answer is 202 with the job run (``Location: /api/v1/job-runs/{id}``), whose ``progress``
follows the import and whose ``batch_url`` gives the batch (and its row errors) once done.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

from flask import current_app, jsonify, url_for

from chargeback import access as policy
from chargeback.access import ALL_ROLES
from chargeback.api.auth import access, current_user, errors, fail
from chargeback.api.extension import Blueprint
from chargeback.api.pagination import decode, encode, link_header
from chargeback.api.periods import run_dict
from chargeback.api.schemas import (
    BatchPageSchema,
    BatchSchema,
    ImportRefusedSchema,
    ImportRowsSchema,
    JobRunSchema,
    ListQuery,
)
from chargeback.extensions import db
from chargeback.importing.limits import ImportLimits
from chargeback.refusals import Refused
from chargeback.services import upload_jobs
from chargeback.services.importing import import_file
from chargeback.services.queries import imports as batches_query
from chargeback.unit_of_work import keep_refused
from chargeback.vocabulary import IMPORT_KINDS, REPLACEABLE_KINDS

bp = Blueprint("imports", __name__, url_prefix="/api/v1",
               description="Import batches: files or JSON rows, stored whole or refused whole.")

KIND = "<any(" + ", ".join(IMPORT_KINDS) + "):kind>"
KIND_EXAMPLE = {"in": "path", "name": "kind", "example": "usage"}
ROWS_EXAMPLE = {"rows": [
    {"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU", "quantity": "1250.5"},
    {"period": "2026-04", "consumer_code": "C-ALT", "service_code": "CPU", "quantity": "9800"}]}
TRUE, FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "CSV (UTF-8, header row) or XLSX (the sheet named "
                                "after the kind, else the first visible one)"},
        "replace": {"type": "boolean", "default": False,
                    "description": "spend and usage: replace the stored lines of the "
                                   "months and units the file covers"}}}}}}
QUEUED = ("Queued: a file above CHARGEBACK_UPLOAD_JOB_BYTES (5 MiB unless set) is imported "
          "by the job runner; poll the run at Location, then its batch_url")
QUEUED_HEADERS = {"Location": {"description": "the job run", "schema": {"type": "string"}}}


def batch_dict(batch) -> dict:
    return {"id": batch.id, "kind": batch.kind, "filename": batch.filename,
            "status": batch.status, "replace": batch.replace, "rows": batch.rows,
            "error_count": batch.error_count,
            "errors": [str(p) for p in batches_query.problems(batch)],
            "actor": batch.actor, "created_at": batch.created_at}


@bp.route("/imports")
@access(*ALL_ROLES)
@bp.arguments(ListQuery, location="query")
@bp.response(200, BatchPageSchema)
def batches(args: dict):
    """Import batches, newest first; a unit head sees their own batches only."""
    rows, last = batches_query.keyset(db.session, policy.batches_of(current_user()),
                                      decode("imports", args.get("cursor")), args["limit"])
    cursor = encode("imports", last)
    return {"items": [batch_dict(b) for b in rows], "next_cursor": cursor}, \
        link_header(cursor)


@bp.route("/imports/<id:batch_id>")
@access(*ALL_ROLES)
@errors(404)
@bp.response(200, BatchSchema)
def batch(batch_id: int):
    """One batch with its stored errors (the first 1,000; `error_count` says how many)."""
    try:
        found = batches_query.batch(db.session, batch_id)
    except Refused as exc:
        fail(404, " ".join(exc.messages))
    if not policy.may_see_batch(current_user(), found):
        fail(403, "A unit head sees their own import batches only.")
    return batch_dict(found)


def _check_kind(kind: str, replace: bool) -> None:
    kinds = policy.importable_kinds(current_user())
    if kind not in kinds:
        allowed = ", ".join(kinds) or "none"
        fail(403, f"{policy.role_phrase(current_user().role)} does not import {kind} "
                  f"(kinds you may import: {allowed}).")
    if replace and kind not in REPLACEABLE_KINDS:
        fail(422, "replace applies to spend and usage only.", {"replace": [
            f"replace applies to {' and '.join(REPLACEABLE_KINDS)} files; {kind} rows always "
            "replace their stored value."]})


@bp.route(f"/imports/{KIND}", methods=["POST"], parameters=[KIND_EXAMPLE])
@access(*ALL_ROLES)
@errors(404, 413)
@bp.doc(requestBody=UPLOAD_BODY)
@bp.alt_response(200, schema=BatchSchema, description="Already imported: nothing changed",
                 success=True)
@bp.alt_response(202, schema=JobRunSchema, description=QUEUED, headers=QUEUED_HEADERS,
                 success=True)
@bp.alt_response(422, schema=ImportRefusedSchema,
                 description="Refused: nothing stored; the batch lists every bad row")
@bp.response(201, BatchSchema, description="Stored")
def upload(kind: str):
    """Import a file (multipart field `file`) as one batch of `kind`."""
    from flask import request

    replace = _replace_flag(request.form.get("replace", ""))
    _check_kind(kind, replace)
    upload_file = request.files.get("file")
    if upload_file is None:
        fail(422, "Attach the file as the multipart field 'file'.",
             {"file": ["Missing: attach a CSV or XLSX file as the field 'file'."]})
    filename = _safe_filename(upload_file.filename or "upload") or "upload"
    size = upload_jobs.size_of(upload_file.stream)
    if _big(size):
        return _queued(upload_file.save, kind, filename, size, replace)
    with tempfile.TemporaryDirectory(prefix="chargeback-api-") as folder:
        path = Path(folder) / "upload"
        upload_file.save(path)
        return _answer(_import_path(path, kind, filename, replace))


@bp.route(f"/imports/{KIND}/rows", methods=["POST"], parameters=[KIND_EXAMPLE])
@access(*ALL_ROLES)
@errors(400, 404, 413)
@bp.arguments(ImportRowsSchema, example=ROWS_EXAMPLE)
@bp.alt_response(200, schema=BatchSchema, description="Already imported: nothing changed",
                 success=True)
@bp.alt_response(202, schema=JobRunSchema, description=QUEUED, headers=QUEUED_HEADERS,
                 success=True)
@bp.alt_response(422, schema=ImportRefusedSchema,
                 description="Refused: nothing stored; the batch lists every bad row")
@bp.response(201, BatchSchema, description="Stored")
def rows(args: dict, kind: str):
    """Import JSON rows as one batch of `kind`, exactly as the same rows in a CSV file
    (`line 2` is `rows[0]`). Numbers may be JSON numbers or decimal strings."""
    _check_kind(kind, args["replace"])
    data = rows_as_csv(args["rows"])
    filename = _safe_filename(args.get("filename") or f"{kind}-rows.json") or "rows.json"
    if _big(len(data)):
        return _queued(lambda path: path.write_bytes(data), kind, filename, len(data),
                       args["replace"])
    with tempfile.TemporaryDirectory(prefix="chargeback-api-") as folder:
        path = Path(folder) / "rows.csv"
        path.write_bytes(data)
        return _answer(_import_path(path, kind, filename, args["replace"]))


def _replace_flag(value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    fail(422, "replace is true or false.", {"replace": ["Write true or false."]})
    return False


def _safe_filename(name: str) -> str:
    """The file's own name, without folders or characters a database cannot keep."""
    base = re.split(r"[\\/]", name)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


def rows_as_csv(rows: list[dict[str, str]]) -> bytes:
    """Rows as a CSV file: the keys in the order first seen make the header."""
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode("utf-8")


# --- the import itself: the web page's rules, the API's user -------------------------------


def _big(size: int) -> bool:
    return upload_jobs.is_big(size, current_app.config["CHARGEBACK_UPLOAD_JOB_BYTES"])


def _queued(save, kind: str, filename: str, size: int, replace: bool):
    """Store the upload and queue its import as the caller, with their unit scope now:
    202 with the run, which the caller polls at Location."""
    run = upload_jobs.queue(
        db.session, Path(current_app.config["CHARGEBACK_UPLOAD_DIR"]), save, kind=kind,
        filename=filename, size=size, replace=replace,
        scope=policy.import_scope(db.session, current_user()),
        requested_by=current_user().email)
    answer = jsonify(JobRunSchema().dump(run_dict(run)))  # not the 201's batch schema
    answer.status_code = 202
    answer.headers["Location"] = url_for("periods.job_run", run_id=run.id)
    return answer


def _import_path(path: Path, kind: str, filename: str, replace: bool):
    """Import the saved file as one batch (a refused batch is kept with its errors);
    the batch, and what became of the upload: stored, refused or already_imported."""
    with path.open("rb") as stream:
        result = import_file(db.session, kind, stream, filename, actor=current_user().email,
                             replace=replace,
                             allowed_unit_codes=policy.import_scope(db.session, current_user()),
                             limits=ImportLimits.from_config(current_app.config))
    return batches_query.batch(db.session, result.batch_id), result.status


HIDDEN_BATCH = {"filename": "(a batch you may not see)", "actor": "(another user)",
                "errors": []}


def row_errors(batch) -> dict[str, list[str]]:
    """``{"line 3": ["amount: not a number"]}`` from the batch's stored errors."""
    grouped: dict[str, list[str]] = {}
    for problem in batches_query.problems(batch):
        key = f"line {problem.line}" if problem.line is not None else "file"
        text = f"{problem.column}: {problem.message}" if problem.column else problem.message
        grouped.setdefault(key, []).append(text)
    return grouped


def _answer(outcome: tuple):
    batch, status = outcome
    body = batch_dict(batch)
    if status == "already_imported" and not policy.may_see_batch(current_user(), batch):
        body.update(HIDDEN_BATCH)  # someone else's batch: that it exists, not who or what
    if status == "refused":
        keep_refused()  # the refused batch stays on record with its errors
        fail(422, f"{batch.filename}: refused, {batch.error_count} error(s); nothing was "
                  "stored.", row_errors(batch), batch=BatchSchema().dump(body))
    location = {"Location": url_for("imports.batch", batch_id=batch.id)}
    return body, 201 if status == "stored" else 200, location
