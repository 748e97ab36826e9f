"""Spend and usage lines, the kinds a month has millions of rows of: what each stores
(``LineKind``) and how a file's rows are checked and read (``LineRows``).

A line kind's rows are only appended (no key to upsert, no audit per row), so they skip the
per-row handlers of ``kinds``: each row is checked cell by cell with compiled converters,
turned into a plain list, and handed to the database's bulk path (``bulk``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter

from marshmallow import ValidationError
from sqlalchemy import Table

from chargeback.importing.context import ImportContext
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
    # SQL: the order lines are inserted in, the order of the table's month index, or None
    # for the file's (see staging._insert); "C" compares the staged month as bytes, the
    # same order for YYYY-MM
    insert_order: str | None
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
    values=("quantity",), covered_unit="l1.unit_id", insert_order=None)

SPEND = LineKind(
    kind="spend", table=SpendLine.__table__, model=SpendLine,
    lookups=(Lookup("unit_code", "units", "unit", "unit_id"),),
    values=("cost_pool", "amount", "tower", "account", "description"),
    covered_unit="l0.id", insert_order='s.period COLLATE "C", l0.id', scoped=True)

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
        self.blank = [None] * (len(names) + 1)
        # canonical_row: "name=value" joined by \x1f, in the names' sorted order, then \x1e
        self.canonical = "\x1f".join(f"{name}=%s" for name in sorted(names)) + "\x1e"
        self.sorted_values = itemgetter(*[names.index(name) + 1 for name in sorted(names)])
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
        canonical, optional, content = self.canonical, self.optional, []
        ordered = self.sorted_values
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
                content.append(canonical % ordered([NULL if v is None else v for v in row])
                               if optional else canonical % ordered(row))
                yield row
        finally:
            ctx.rows_read = count
            _digest(ctx, content)


def _digest(ctx: ImportContext, content: list[str]) -> None:
    if content:
        ctx.content.update("".join(content).encode())
        content.clear()
