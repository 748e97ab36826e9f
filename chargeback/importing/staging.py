"""The PostgreSQL bulk path of the line kinds: ``COPY`` into a staging table, then set-based.

1. The well-formed rows (``LineRows``) go through ``COPY ... FROM STDIN`` into a temporary
   table (``ON COMMIT DROP``; no WAL, no index) with their line numbers.
2. The months the rows name are locked one at a time in the order the file first names
   them, as the per-row path did (``ImportContext.month_status``), and the units,
   consumers or services they name are held ``FOR KEY SHARE`` (what a foreign key would
   hold), so none of them can be deleted before the batch commits.
3. A clean batch is stored by one ``INSERT ... SELECT`` joining the staged codes to their
   ids, and a usage batch's sums are added to ``usage_totals`` (``totals``). Only when
   that cannot be the whole story (a bad cell, a frozen month, fewer rows joined than
   staged) does one query find the rows with unknown codes, out of the importer's scope
   or in a frozen month; their errors join the cell errors in line order, worded as the
   per-row path words them.

No per-row trigger runs: the lines tables keep no foreign keys (see ``lines``).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text

from chargeback.importing import totals
from chargeback.importing.context import ImportContext
from chargeback.importing.lines import USAGE, LineKind, LineRows
from chargeback.importing.readers import FileFormatError
from chargeback.vocabulary import FROZEN_STATUSES

STAGE = "import_stage"


def load(ctx: ImportContext, spec: LineKind, reader: LineRows,
         rows: Iterator[list]) -> set[tuple[str, int]]:
    """Stage, check and store the rows; the (month, unit) pairs stored (for ``--replace``)."""
    session = ctx.session
    session.execute(text(f"CREATE TEMPORARY TABLE {STAGE} "
                         f"({_stage_columns(spec, session.get_bind().dialect)}) ON COMMIT DROP"))
    staged, broken = _copy(ctx, spec, rows)
    frozen = {p for p in _months(ctx, reader)
              if ctx.month_status(p) in FROZEN_STATUSES}
    _hold(ctx, spec, reader)
    covered: set[tuple[str, int]] = set()
    if ctx.errors or frozen or broken:
        _report(ctx, spec, frozen)
    elif _insert(ctx, spec) != staged:
        _report(ctx, spec, frozen)
    else:
        if spec is USAGE:
            _add_totals(ctx, spec)
        if ctx.replace:
            covered = _covered(ctx, spec)
    session.execute(text(f"DROP TABLE {STAGE}"))
    if broken is not None:
        raise broken
    return covered


def _stage_columns(spec: LineKind, dialect) -> str:
    """The line number, then the file's columns: numbers as their lines table's type (COPY
    reads them), everything else as text (the codes are joined, not stored)."""
    types = {column.name: column.type.compile(dialect=dialect) for column in spec.table.columns}
    columns = ["line integer"]
    for name in spec.columns:
        kind = types.get(name, "text")
        columns.append(f"{name} {kind if kind.startswith('NUMERIC') else 'text'}")
    return ", ".join(columns)


def _copy(ctx: ImportContext, spec: LineKind, rows: Iterator[list]):
    """COPY the rows into the stage; their count, and the file's breakage if it broke."""
    raw = ctx.session.connection().connection.driver_connection
    staged, broken = 0, None
    columns = ", ".join(["line", *spec.columns])
    with raw.cursor() as cursor, cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
        write = copy.write_row
        try:
            for staged, row in enumerate(rows, start=1):  # noqa: B007 (the count is kept)
                write(row)
        except FileFormatError as exc:  # the rows before it still get their errors
            broken = exc
    return staged, broken


def _months(ctx: ImportContext, reader: LineRows) -> list[str]:
    """The months the rows name, in the order the file first names them (the per-row path
    locked them in that order too)."""
    found = reader.distinct("period")
    if found is None:  # more distinct cells than the reader keeps: ask the stage
        found = [p for (p,) in ctx.session.execute(text(
            f"SELECT period FROM {STAGE} GROUP BY period ORDER BY min(line)"))]
    return found


def _hold(ctx: ImportContext, spec: LineKind, reader: LineRows) -> None:
    """Hold the named rows as a foreign key would: a delete waits for this batch's commit,
    and then finds its lines (and is refused by the table's trigger)."""
    for lookup in spec.lookups:
        named = reader.distinct(lookup.column)
        if named is None:
            ctx.session.execute(text(
                f"SELECT 1 FROM {lookup.table} WHERE code IN (SELECT {lookup.column} FROM "
                f"{STAGE}) ORDER BY id FOR KEY SHARE OF {lookup.table}"))
        elif named:
            ctx.session.execute(text(f"SELECT 1 FROM {lookup.table} WHERE code = ANY(:codes) "
                                     "ORDER BY id FOR KEY SHARE"), {"codes": sorted(named)})


def _joins(spec: LineKind, outer: bool) -> str:
    join = "LEFT JOIN" if outer else "JOIN"
    return " ".join(f"{join} {lookup.table} l{n} ON l{n}.code = s.{lookup.column}"
                    for n, lookup in enumerate(spec.lookups))


def _scope(ctx: ImportContext, spec: LineKind) -> tuple[str, dict]:
    if not spec.scoped or ctx.allowed_units is None:
        return "", {}
    return " WHERE l0.code = ANY(:allowed)", {"allowed": sorted(ctx.allowed_units)}


def _insert(ctx: ImportContext, spec: LineKind) -> int:
    """The staged rows into the lines table, codes resolved by join; the rows inserted.

    Spend lines are sorted as their month index is (month, unit): each index page is then
    filled in turn instead of every insert landing on another one. Usage lines go in the
    file's order: their (period, service_id) index takes duplicates at a few hundred hot
    pages anyway, and sorting a million lines cost more than it saved (it paid off only
    with the four-column index the close summed from before migration 0014)."""
    ids = [f"l{n}.id" for n in range(len(spec.lookups))]
    targets = ["batch_id", "period", *(lookup.id_column for lookup in spec.lookups),
               *spec.values]
    sources = [":batch", "s.period", *ids, *(f"s.{v}" for v in spec.values)]
    scope, params = _scope(ctx, spec)
    result = ctx.session.execute(text(
        f"INSERT INTO {spec.table.name} ({', '.join(targets)}) "
        f"SELECT {', '.join(sources)} FROM {STAGE} s {_joins(spec, outer=False)}{scope}"
        + (f" ORDER BY {spec.insert_order}" if spec.insert_order else "")),
        {"batch": ctx.batch_id, **params})
    return result.rowcount


def _add_totals(ctx: ImportContext, spec: LineKind) -> None:
    """The batch's sums per month, service and consumer onto ``usage_totals``. The stage
    is grouped by its codes first, then the groups (not the lines) joined to their ids: a
    clean batch is stored whole (every staged code joined), so these are the sums of the
    lines just inserted."""
    consumers, services = spec.lookups
    totals.add_grouped(ctx.session, (
        "SELECT g.period, l1.id, l0.id, g.micros, g.lines "
        f"FROM (SELECT period, {consumers.column}, {services.column}, "
        f"{totals.MICROS_SUM} AS micros, count(*) AS lines FROM {STAGE} "
        f"GROUP BY period, {consumers.column}, {services.column}) g "
        f"JOIN {consumers.table} l0 ON l0.code = g.{consumers.column} "
        f"JOIN {services.table} l1 ON l1.code = g.{services.column}"), {})


def _covered(ctx: ImportContext, spec: LineKind) -> set[tuple[str, int]]:
    rows = ctx.session.execute(text(
        f"SELECT DISTINCT s.period, {spec.covered_unit} FROM {STAGE} s "
        f"{_joins(spec, outer=False)}"))
    return {(period, unit) for period, unit in rows}


def _report(ctx: ImportContext, spec: LineKind, frozen: set[str]) -> None:
    """The errors of staged rows (unknown codes, out of scope, frozen month), each worded and
    ordered as the per-row path does: scope first, then each unknown code, and the month
    only for a row whose codes are all known; then every error in line order."""
    codes = [f"s.{lookup.column}" for lookup in spec.lookups]
    missing = [f"l{n}.id IS NULL" for n in range(len(spec.lookups))]
    conditions = [*missing, "s.period = ANY(:frozen)"]
    params: dict = {"frozen": sorted(frozen)}
    outside = "false"
    if spec.scoped and ctx.allowed_units is not None:
        outside = "(l0.id IS NOT NULL AND NOT l0.code = ANY(:allowed))"
        conditions.append(outside)
        params["allowed"] = sorted(ctx.allowed_units)
    found = ctx.session.execute(text(
        f"SELECT s.line, s.period, {outside}, {', '.join(codes + missing)} "
        f"FROM {STAGE} s {_joins(spec, outer=True)} WHERE {' OR '.join(conditions)} "
        "ORDER BY s.line"), params)
    width = len(spec.lookups)
    for line, period, out_of_scope, *named in found:
        if out_of_scope:
            ctx.in_scope(line, named[0])
            continue
        unknown = False
        for lookup, code, absent in zip(spec.lookups, named[:width], named[width:],
                                        strict=True):
            if absent:
                ctx.unknown(line, lookup.column, lookup.what, code)
                unknown = True
        if not unknown and period in frozen:
            ctx.closed(line, period)
    ctx.errors.sort(key=lambda problem: problem.line or 0)
