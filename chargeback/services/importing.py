"""Import one file as one batch: every row valid and stored, or nothing stored.

The same verb serves the command line, the web app and the API. Rows stream through
(memory does not grow with the file); they are written inside a savepoint while the batch is
clean, and the savepoint is rolled back at the first sign that it is not, so a refused batch
leaves only its own record (with its errors) behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from chargeback.db_setup import is_contention
from chargeback.failpoints import failpoint
from chargeback.importing.bulk import store_lines, store_plain
from chargeback.importing.context import MAX_STORED_ERRORS, ImportContext
from chargeback.importing.kinds import HANDLERS
from chargeback.importing.limits import ImportLimits
from chargeback.importing.lines import LINE_KINDS
from chargeback.importing.readers import FileFormatError, open_table
from chargeback.importing.schemas import RowValidator, canonical_number, columns
from chargeback.models import BatchError, ImportBatch
from chargeback.models.periods import lock_import_kind, lock_reference
from chargeback.refusals import Problem, Refused
from chargeback.vocabulary import IMPORT_KINDS, REPLACEABLE_KINDS

CHUNK = 5000
REPLACEABLE = REPLACEABLE_KINDS


class BatchRefused(Exception):
    """Raised inside the savepoint to roll the batch's rows back."""


class AlreadyStored(Exception):
    """Raised inside the savepoint when another stored batch has the same rows."""


CONTENTION = ("another import or change, or a month's close, held what this batch needs, "
              "so it was stopped; nothing was stored: import the file again")


@dataclass
class ImportResult:
    kind: str
    filename: str
    status: str  # "stored", "refused" or "already_imported"
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    @property
    def errors(self) -> list[str]:
        """Every bad row as ``line N: column: message``, as the command line prints it."""
        return [str(p) for p in self.problems]

    def summary(self) -> str:
        if self.status == "already_imported":
            return f"{self.filename}: already imported (batch {self.batch_id}); nothing changed"
        if self.status == "stored":
            rows = "row" if self.rows == 1 else "rows"
            return f"{self.filename}: {self.rows} {self.kind} {rows} imported (batch {self.batch_id})"
        return (f"{self.filename}: refused, {len(self.errors)} error(s); nothing was stored")


def file_sha256(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def import_file(session: Session, kind: str, stream: BinaryIO, filename: str, actor: str,
                replace: bool = False,
                progress: Callable[[int], None] | None = None,
                allowed_unit_codes: set[str] | None = None,
                limits: ImportLimits | None = None) -> ImportResult:
    """Import ``stream`` as a batch of ``kind``; ``progress`` gets the bytes read so far.

    ``allowed_unit_codes`` limits the units a row may name (a unit head's own subtree):
    a row naming another known unit is a bad row. ``limits``: how much the file may hold
    (the app's settings, ``ImportLimits.from_config``; the defaults without them).
    """
    if kind not in IMPORT_KINDS:
        raise Refused(Problem(field="kind", message=(
            f"unknown import kind '{kind}' (kinds: {', '.join(IMPORT_KINDS)})")))
    if replace and kind not in REPLACEABLE:
        raise Refused(Problem(field="replace", message=(
            f"--replace applies to {' and '.join(REPLACEABLE)} lines; "
            f"{kind} rows always replace the stored value of their key")))
    lock_reference(session)  # a close reads units, consumers, services and rates whole
    lock_import_kind(session, kind)  # batches of one kind take turns (keyed rows upsert)
    sha = file_sha256(stream)
    earlier = _stored(session, kind, ImportBatch.sha256 == sha)
    if earlier is not None:
        return ImportResult(kind, filename, "already_imported", earlier.rows, [], earlier.id)

    batch = ImportBatch(kind=kind, filename=filename[:255], sha256=sha, replace=replace,
                        status="stored", actor=actor)
    session.add(batch)
    session.flush()
    scope = None if allowed_unit_codes is None else frozenset(allowed_unit_codes)
    ctx = ImportContext(session=session, batch_id=batch.id, actor=actor, kind=kind,
                        replace=replace, allowed_units=scope)
    try:
        with session.begin_nested():
            _read_and_store(ctx, kind, stream, filename, progress, limits or ImportLimits())
            if ctx.only_closed() and _stored_content(session, kind, ctx) is not None:
                raise AlreadyStored  # sent again after its month closed: nothing to refuse
            if ctx.errors:
                raise BatchRefused
            failpoint("import.before-checksum")
            if not _claim_content(session, batch, ctx):
                raise AlreadyStored
    except AlreadyStored:
        return _already_imported(session, batch, ctx)
    except DBAPIError as exc:
        if not is_contention(exc):
            raise
        ctx.errors = [Problem(kind=kind, field="file", message=CONTENTION)]
        _refuse(batch, ctx)
    except (BatchRefused, FileFormatError) as exc:
        if isinstance(exc, FileFormatError):
            for problem in exc.problems:
                ctx.error(problem.line, problem.column, problem.message)
        _refuse(batch, ctx)
    batch.rows = ctx.rows_read
    session.flush()
    return ImportResult(kind, filename, batch.status, batch.rows, ctx.errors, batch.id)


def _claim_content(session: Session, batch: ImportBatch, ctx: ImportContext) -> bool:
    """Record the batch's content checksum; False when a stored batch already has it.

    The unique index decides (a batch committed while this one was read counts too); the
    flush has a savepoint of its own, so no other integrity error can pass for "already
    imported"."""
    batch.content_sha256 = ctx.content.hexdigest()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return False
    return True


def _refuse(batch: ImportBatch, ctx: ImportContext) -> None:
    batch.status = "refused"
    batch.error_count = len(ctx.errors)
    batch.problems = [BatchError(position=n, line=p.line, column=p.column, message=p.message)
                      for n, p in enumerate(ctx.errors[:MAX_STORED_ERRORS], start=1)]


def _stored(session: Session, kind: str, condition) -> ImportBatch | None:
    return session.scalar(select(ImportBatch).where(
        ImportBatch.kind == kind, ImportBatch.status == "stored", condition).limit(1))


def _stored_content(session: Session, kind: str, ctx: ImportContext) -> ImportBatch | None:
    """The stored batch of ``kind`` whose rows are the rows read (their checksum)."""
    return _stored(session, kind, ImportBatch.content_sha256 == ctx.content.hexdigest())


def _already_imported(session: Session, batch: ImportBatch, ctx: ImportContext) -> ImportResult:
    """Another stored batch has exactly these rows (it may have been committed while this
    one was being read): nothing of this one is kept but the record that it was tried."""
    earlier = _stored_content(session, batch.kind, ctx)
    batch.status, batch.rows = "already_imported", ctx.rows_read
    session.flush()
    return ImportResult(batch.kind, batch.filename, "already_imported",
                        earlier.rows if earlier else ctx.rows_read, [],
                        earlier.id if earlier else batch.id)


NO_ROWS = "the file has a header but no rows: nothing to import"


def _read_and_store(ctx: ImportContext, kind: str, stream: BinaryIO, filename: str,
                    progress, limits: ImportLimits) -> None:
    table = open_table(stream, filename, limits=limits, sheet=kind)
    with closing(table.rows):  # let go of the file now, even when a row's write fails
        if not _header_ok(ctx, kind, table.header):
            return
        if kind in LINE_KINDS:
            tick = lambda: progress and progress(_position(stream))  # noqa: E731
            if not store_plain(ctx, kind, table.header, stream, filename, limits, tick):
                stream.seek(0)
                table = open_table(stream, filename, limits=limits, sheet=kind)
                with closing(table.rows):
                    store_lines(ctx, kind, table, tick)
            if progress:
                progress(_position(stream))
        else:
            _store_rows(ctx, kind, table, stream, progress)
    if ctx.rows_read == 0 and not ctx.errors:
        ctx.error(1, None, NO_ROWS)  # an empty export is a mistake, not an empty batch


def _store_rows(ctx: ImportContext, kind: str, table, stream: BinaryIO, progress) -> None:
    """The keyed kinds and units, row by row through their handler (``kinds``)."""
    validator = RowValidator(kind, table.header)
    handler = HANDLERS[kind](ctx, frozenset(table.header))
    ctx.content.update(handler.content_marker())
    pending: list[dict] = []
    for line, cells in table.rows:
        ctx.rows_read += 1
        if len(cells) > len(table.header) and any(c.strip() for c in cells[len(table.header):]):
            ctx.error(line, f"column {len(table.header) + 1}", "a value beyond the header's columns")
            continue
        values, errors = validator.validate(cells)
        for column, message in errors.items():
            ctx.error(line, column, message)
        if not errors:
            ctx.content.update(canonical_row(values))
        row = None if errors else handler.accept(line, values)
        if row is not None and not ctx.errors:
            pending.append(row)
            if len(pending) >= CHUNK:
                handler.store(pending)
                pending = []
        if progress and ctx.rows_read % CHUNK == 0:
            progress(_position(stream))
    if pending and not ctx.errors:
        handler.store(pending)
    handler.finish()
    if progress:
        progress(_position(stream))


def canonical_row(values: dict) -> bytes:
    """A row's parsed values in one text whatever the file's line endings, byte order mark,
    quoting, column order or number spelling (1.50 and 1.5): what "already imported" means."""
    return ("\x1f".join(f"{name}={_canonical(values[name])}" for name in sorted(values))
            + "\x1e").encode()


def _canonical(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, Decimal):
        return canonical_number(value)
    return str(value)


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _header_ok(ctx: ImportContext, kind: str, header: list[str]) -> bool:
    required, optional = columns(kind)
    known = set(required) | set(optional)
    ok = True
    seen: set[str] = set()
    for name in header:
        if name in seen:
            ctx.error(1, name or "(empty)", "the column appears twice in the header")
            ok = False
        seen.add(name)
        if name not in known:
            allowed = ", ".join(required + optional)
            ctx.error(1, name or "(empty)", f"unknown column for {kind} (columns: {allowed})")
            ok = False
    for name in required:
        if name not in header:
            ctx.error(1, name, f"missing required column for {kind}")
            ok = False
    return ok
