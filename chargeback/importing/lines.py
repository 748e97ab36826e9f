"""Spend and usage lines in bulk: the kinds a month has millions of rows of.

A line kind's rows are only appended (no key to upsert, no audit per row), so they skip the
per-row handlers of ``kinds``: each row is checked cell by cell with compiled converters
(``LineRows``), turned into a plain list, and handed to the database's bulk path:
``staging`` on PostgreSQL (``COPY`` into a temporary table, codes resolved by join, one
``INSERT ... SELECT``), ``direct`` on SQLite (codes resolved by dict, ``executemany`` of
tuples in chunks). Both report the same errors, in the same order, as the per-row path did.

The lines tables keep no foreign keys (migration 0007): the import resolves every code
against the stored rows in its own transaction, under the locks it holds, and refuses a
row whose code is unknown; deleting a referenced unit, consumer, service, month or batch is
refused by a trigger instead (docs/imports.md, "Bulk path").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import Table, delete, func, select

from chargeback.importing.context import ImportContext
from chargeback.importing.readers import Table as FileTable
from chargeback.importing.schemas import SCHEMAS, converter, first_message
from chargeback.models import SpendLine, UsageLine

CHUNK = 5000  # rows between progress reports and SQLite inserts
NULL = "\\N"  # a missing value in the content checksum
_NONE: dict = {}


@dataclass(frozen=True)
class Lookup:
    """A code column of the file and the stored rows it names."""

    column: str  # the file's column, e.g. "consumer_code"
    table: str  # the table holding the codes, e.g. "consumers"
    what: str  # the word in "unknown consumer 'X'"
    id_column: str  # the lines table's column for the row's id, e.g. "consumer_id"


@dataclass(frozen=True)
class LineKind:
    kind: str
    table: Table
    lookups: tuple[Lookup, ...]
    values: tuple[str, ...]  # file columns stored as they are, in same-named columns
    covered_unit: str  # SQL, over the lookups' aliases l0, l1...: the unit a line is of
    scoped: bool = False  # the first lookup is a unit the importer must be allowed
    model: type | None = None

    @property
    def columns(self) -> list[str]:
        """The file's columns in the schema's order: the order of a row's values."""
        return list(SCHEMAS[self.kind]().fields)

    def slot(self, column: str) -> int:
        """Where a file column's value is in a row (index 0 is the line number)."""
        return self.columns.index(column) + 1


USAGE = LineKind(
    kind="usage", table=UsageLine.__table__, model=UsageLine,
    lookups=(Lookup("consumer_code", "consumers", "consumer", "consumer_id"),
             Lookup("service_code", "services", "service", "service_id")),
    values=("quantity",), covered_unit="l1.unit_id")

SPEND = LineKind(
    kind="spend", table=SpendLine.__table__, model=SpendLine,
    lookups=(Lookup("unit_code", "units", "unit", "unit_id"),),
    values=("cost_pool", "amount", "tower", "account", "description"),
    covered_unit="l0.id", scoped=True)

LINE_KINDS: dict[str, LineKind] = {k.kind: k for k in (USAGE, SPEND)}


class LineRows:
    """A file's rows as lists ``[line, value, ...]`` (values in the schema's order, numbers
    as canonical text, empty optional cells as None), its bad cells as errors on the context.

    Every cell is checked as the kind's marshmallow field checks it (``converter``), and the
    row's values go into the content checksum exactly as ``canonical_row`` writes them.
    """

    def __init__(self, kind: LineKind, header: list[str]):
        schema = SCHEMAS[kind.kind]()
        names = kind.columns
        self.width = len(header)
        self.plan = []
        for index, name in enumerate(header):
            field = schema.fields[name]
            required = field.error_messages["required"] if field.required else None
            convert = converter(field, numbers_as_text=True)
            self.plan.append((index, names.index(name) + 1, name,
                              getattr(convert, "values", _NONE), convert, required))
        self.names = names
        self.blank = [None] * (len(names) + 1)
        # canonical_row: "name=value" joined by \x1f, in the names' sorted order, then \x1e
        self.canonical = "\x1f".join(
            f"{name}={{{names.index(name) + 1}}}" for name in sorted(names)) + "\x1e"
        self.optional = any(not schema.fields[name].required for name in names)

    def distinct(self, column: str) -> list | None:
        """The distinct well-formed values of a code or month column seen so far, in the
        order the file first names them; None when there were too many to keep (or the
        column is not a cached one)."""
        for _, _, name, known, convert, _ in self.plan:
            if name == column:
                return None if getattr(convert, "overflowed", True) else list(known.values())
        return []

    def read(self, ctx: ImportContext, rows: Iterator[tuple[int, list[str]]],
             tick: Callable[[], None]) -> Iterator[list]:
        """The well-formed rows; ``tick`` every ``CHUNK`` rows read."""
        width, plan, blank, error = self.width, self.plan, self.blank, ctx.error
        canonical, optional, content = self.canonical.format, self.optional, []
        count = ctx.rows_read
        try:
            for line, cells in rows:
                count += 1
                if count % CHUNK == 0:
                    _digest(ctx, content)
                    tick()
                size = len(cells)
                if size > width and any(c.strip() for c in cells[width:]):
                    error(line, f"column {width + 1}", "a value beyond the header's columns")
                    continue
                row = blank.copy()
                row[0] = line
                bad = False
                for index, slot, name, known, convert, required in plan:
                    raw = cells[index].strip() if index < size else ""
                    if raw:
                        value = known.get(raw)  # a code or month seen before: no call
                        if value is not None:
                            row[slot] = value
                            continue
                        try:
                            row[slot] = convert(raw)
                        except ValidationError as exc:
                            error(line, name, first_message(exc))
                            bad = True
                    elif required is not None:
                        error(line, name, required)
                        bad = True
                if bad:
                    continue
                content.append(canonical(*[NULL if v is None else v for v in row])
                               if optional else canonical(*row))
                yield row
        finally:
            ctx.rows_read = count
            _digest(ctx, content)


def _digest(ctx: ImportContext, content: list[str]) -> None:
    if content:
        ctx.content.update("".join(content).encode())
        content.clear()


def store_lines(ctx: ImportContext, kind: str, table: FileTable,
                tick: Callable[[], None]) -> None:
    """Read, check and store a line kind's rows (the caller has checked the header)."""
    spec = LINE_KINDS[kind]
    reader = LineRows(spec, table.header)
    rows = reader.read(ctx, table.rows, tick)
    if ctx.session.get_bind().dialect.name == "postgresql":
        from chargeback.importing import staging

        covered = staging.load(ctx, spec, reader, rows)
    else:
        from chargeback.importing import direct

        covered = direct.load(ctx, spec, rows)
    if ctx.replace and not ctx.errors:
        replace_older_lines(ctx, spec, covered)


def replace_older_lines(ctx: ImportContext, spec: LineKind,
                        covered: set[tuple[str, int]]) -> None:
    """``--replace``: the earlier lines of every (month, unit) the batch covers go, and the
    audit log records how many there were and their total."""
    model = spec.model
    summed = model.quantity if spec is USAGE else model.amount
    codes = {unit_id: code for code, unit_id in ctx.units.items()}
    for period, unit_id in sorted(covered):
        where = (model.period == period, model.batch_id != ctx.batch_id,
                 *_of_unit(ctx, spec, unit_id))
        count, total = ctx.session.execute(select(func.count(), func.sum(summed))
                                           .where(*where)).one()
        if count:
            ctx.session.execute(delete(model).where(*where))
            ctx.audit(f"import.{spec.kind}.replace", spec.kind, f"{codes[unit_id]}/{period}",
                      {"lines": count, "total": None if total is None else str(total)},
                      {"batch": ctx.batch_id})


def _of_unit(ctx: ImportContext, spec: LineKind, unit_id: int) -> tuple:
    if spec is USAGE:  # a usage line is of the unit that provides its service
        services = [sid for sid, uid in ctx.services.values() if uid == unit_id]
        return (UsageLine.service_id.in_(services),)
    return (SpendLine.unit_id == unit_id,)
