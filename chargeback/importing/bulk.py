"""The bulk path of spend and usage lines: the rows read and checked (``lines``), stored by
the database's fastest path, then ``--replace``.

``staging`` on PostgreSQL (``COPY`` into a temporary table, codes resolved by join, one
``INSERT ... SELECT``), ``direct`` on SQLite (codes resolved by dict, ``executemany`` of
tuples in chunks). Both report the same errors, on the same lines and in the same order, as
the per-row path did, and store nothing of a batch with one bad row.

The lines tables keep no foreign keys (migration 0010): the import resolves every code
against the stored rows in its own transaction, under the locks it holds, and refuses a
row whose code is unknown; deleting a referenced unit, consumer, service, month or batch is
refused by a trigger instead (docs/imports.md, "Bulk path").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from sqlalchemy import delete, func, select

from chargeback.importing import direct, plain_csv, staging, totals
from chargeback.importing.context import ImportContext
from chargeback.importing.limits import ImportLimits
from chargeback.importing.lines import LINE_KINDS, USAGE, LineKind, LineRows
from chargeback.importing.readers import Table
from chargeback.models import SpendLine


def store_lines(ctx: ImportContext, kind: str, table: Table,
                tick: Callable[[], None]) -> None:
    """Read, check and store a line kind's rows (the caller has checked the header)."""
    spec = LINE_KINDS[kind]
    reader = LineRows(spec, table.header)
    rows = reader.read(ctx, table.rows, tick)
    if ctx.session.get_bind().dialect.name == "postgresql":
        covered = staging.load(ctx, spec, reader, rows)
    else:
        covered = direct.load(ctx, spec, rows)
    if ctx.replace and not ctx.errors:
        replace_older_lines(ctx, spec, covered)


def store_plain(ctx: ImportContext, kind: str, header: list[str], stream: BinaryIO,
                filename: str, limits: ImportLimits, tick: Callable[[], None]) -> bool:
    """The plain usage CSV's fast path (``plain_csv``), in a savepoint of its own; False
    (nothing of it kept, the context as it was) when the file is not plain: the caller
    reads it again with ``store_lines``, which words every error."""
    if not plain_csv.applies(kind, stream, filename, limits):
        return False
    try:
        with ctx.session.begin_nested():
            covered = plain_csv.load(ctx, header, stream, tick)
            if ctx.replace:
                replace_older_lines(ctx, USAGE, covered)
    except plain_csv.NotPlain:
        ctx.start_over()
        return False
    return True


def replace_older_lines(ctx: ImportContext, spec: LineKind,
                        covered: set[tuple[str, int]]) -> None:
    """``--replace``: the earlier lines of every (month, unit) the batch covers go, and the
    audit log records how many there were and their total."""
    codes = {unit_id: code for code, unit_id in ctx.units.items()}
    for period, unit_id in sorted(covered):
        if spec is USAGE:  # the usage totals lose what goes
            count, total = totals.delete_lines(ctx.session, period,
                                               _services_of(ctx, unit_id), ctx.batch_id)
        else:
            count, total = _delete_spend(ctx, period, unit_id)
        if count:
            ctx.audit(f"import.{spec.kind}.replace", spec.kind, f"{codes[unit_id]}/{period}",
                      {"lines": count, "total": None if total is None else str(total)},
                      {"batch": ctx.batch_id})


def _services_of(ctx: ImportContext, unit_id: int) -> list[int]:
    """A usage line is of the unit that provides its service."""
    return sorted(sid for sid, uid in ctx.services.values() if uid == unit_id)


def _delete_spend(ctx: ImportContext, period: str, unit_id: int):
    where = (SpendLine.period == period, SpendLine.batch_id != ctx.batch_id,
             SpendLine.unit_id == unit_id)
    count, total = ctx.session.execute(select(func.count(), func.sum(SpendLine.amount))
                                       .where(*where)).one()
    if count:
        ctx.session.execute(delete(SpendLine).where(*where))
    return count, total
