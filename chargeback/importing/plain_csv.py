"""The fast path of a plain usage CSV: whole blocks of the file's bytes, never a row at a time.

A usage file is millions of lines of four short cells. When the file is *plain* (ASCII,
no quote, ``,`` between cells and a line break after each row, every row with exactly the
header's cells), a block of it is split into its columns by the ``str`` methods and checked
column by column (``_Block``):

- the months, codes and their checks are per *distinct* cell (a block names a few hundred):
  each goes through the same converter as the per-row reader (``lines.LineRows``) and must
  come back unchanged, each code must be a stored one, each month open (read under its
  lock, in the order the file first names them, as the other paths do);
- each quantity goes through the reader's own converter (its canonical text);
- the content checksum is the same text the per-row reader hashes, joined per block.

The lines then go to the database the fastest way it has: ``COPY`` straight into
``usage_lines`` (PostgreSQL, the codes held ``FOR KEY SHARE`` as the staging path holds them)
or ``executemany`` of the columns zipped (SQLite), and the batch's sums onto
``usage_totals``.

Anything else (a quoted cell, a blank or short line, a bad cell, an unknown code, a frozen
month, an XLSX file) is **not plain**: the fast path stops, its savepoint is rolled back,
and the file is read again by the per-row reader (``bulk``), which reports every error by
line and column exactly as before. So this path accepts only rows the per-row reader
accepts, with the same values, and never words an error itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from itertools import repeat
from typing import BinaryIO

from marshmallow import ValidationError
from sqlalchemy import text

from chargeback.importing import totals
from chargeback.importing.context import ImportContext
from chargeback.importing.direct import _page_cache
from chargeback.importing.limits import ImportLimits
from chargeback.importing.lines import USAGE
from chargeback.importing.schemas import SCHEMAS, converter
from chargeback.vocabulary import FROZEN_STATUSES

BLOCK = 1 << 20  # bytes read at a time: about 37,000 usage lines
BOM = b"\xef\xbb\xbf"
LONGEST_CELL = 64  # a plain cell is a code, a month or a number: longer is not plain
LONGEST_LINE = 4 * LONGEST_CELL + 3


class NotPlain(Exception):
    """The file is not a plain usage CSV (or names something the per-row path must word)."""


def applies(kind: str, stream: BinaryIO, filename: str, limits: ImportLimits) -> bool:
    """A usage CSV (not a workbook), under limits no plain line can reach."""
    if kind != USAGE.kind or filename.lower().endswith((".xlsx", ".xlsm")):
        return False
    head = stream.read(4)
    stream.seek(0)
    return (head != b"PK\x03\x04" and limits.cell_chars >= LONGEST_CELL
            and limits.line_chars >= LONGEST_LINE)


def load(ctx: ImportContext, header: list[str], stream: BinaryIO,
         tick: Callable[[], None]) -> set[tuple[str, int]]:
    """Read, check and store the plain file's lines; the (month, unit) pairs stored (for
    ``--replace``). Raises ``NotPlain`` (the caller rolls back and reads the file again)."""
    stream.seek(0)
    first = stream.readline(LONGEST_LINE + 4)
    first = first.removeprefix(BOM)
    if first.removesuffix(b"\n").removesuffix(b"\r").split(b",") != [
            name.encode() for name in header]:
        raise NotPlain  # a quoted or padded header, or one the ASCII split cannot read
    block = _Block(ctx, header)
    writer = (_Copy if ctx.session.get_bind().dialect.name == "postgresql" else _Insert)(ctx)
    with writer:
        carry = b""
        while True:
            data = stream.read(BLOCK)
            if not data:
                break
            cut = data.rfind(b"\n") + 1
            if not cut:
                carry += data
                if len(carry) > LONGEST_LINE:
                    raise NotPlain
                continue
            writer.write(block.read(carry + data[:cut]), block.take_new())
            carry = data[cut:]
            tick()
        if carry:
            writer.write(block.read(carry + b"\n"), block.take_new())
        writer.finish()
    return block.covered


class _Block:
    """A block of whole lines into its columns, checked; what it wrote down so far."""

    def __init__(self, ctx: ImportContext, header: list[str]):
        schema = SCHEMAS[USAGE.kind]()
        self.ctx, self.width = ctx, len(header)
        self.slot = {name: header.index(name) for name in header}
        fields = schema.fields
        self.convert = {name: converter(fields[name], numbers_as_text=True) for name in header}
        self.consumers, self.services = ctx.consumers, ctx.services
        self.units = {code: uid for code, (_, uid) in ctx.services.items()}
        self.months: set[str] = set()
        self.new_months: list[str] = []
        self.codes: dict[str, set[str]] = {"consumer_code": set(), "service_code": set()}
        self.new_codes: dict[str, set[str]] = {"consumer_code": set(), "service_code": set()}
        self.covered: set[tuple[str, int]] = set()
        canonical = self.convert["quantity"].canonical.pattern
        self.not_canonical = re.compile(f"^(?!(?:{canonical})$).*$", re.MULTILINE)
        # the content checksum's text of a row: "name=value" in the names' sorted order
        self.canonical = sorted(header)

    def read(self, data: bytes) -> dict[str, list[str]]:
        """The block's columns (quantities as canonical text), checked; raises NotPlain."""
        if not data.isascii() or b'"' in data:
            raise NotPlain
        body = data.decode("ascii").replace("\r\n", "\n")
        if "\r" in body:
            raise NotPlain
        count = body.count("\n")
        cells = body.replace("\n", ",").split(",")
        if len(cells) != self.width * count + 1:
            raise NotPlain  # a blank line, a missing or an extra cell
        del cells[-1]
        columns = {name: cells[slot::self.width] for name, slot in self.slot.items()}
        self._months(columns["period"])
        for name, known in (("consumer_code", self.consumers), ("service_code", self.services)):
            self._codes(name, columns[name], known)
        columns["quantity"] = self._quantities(columns["quantity"])
        if self.ctx.replace:
            units = self.units
            self.covered |= {(p, units[s]) for p, s in
                             set(zip(columns["period"], columns["service_code"],
                                     strict=True))}
        self._digest(columns)
        self.ctx.rows_read += count
        return columns

    def _quantities(self, cells: list[str]) -> list[str]:
        """The quantities as canonical text: the block's cells joined, the lines not already
        canonical (by the converter's own pattern) found by one regular expression and only
        those converted, then split again."""
        if max(map(len, cells)) > LONGEST_CELL:
            raise NotPlain
        try:
            return self.not_canonical.sub(self._convert_quantity, "\n".join(cells)).split("\n")
        except ValidationError:
            raise NotPlain from None

    def _convert_quantity(self, match: re.Match) -> str:
        return self.convert["quantity"](match.group())

    def _months(self, periods: list[str]) -> None:
        """Each new month checked, in the order the file first names it (the writer locks
        them in that order)."""
        for period in dict.fromkeys(periods):
            if period in self.months:
                continue
            if not self._unchanged("period", period):
                raise NotPlain
            self.months.add(period)
            self.new_months.append(period)

    def _codes(self, name: str, column: list[str], known: dict) -> None:
        seen = self.codes[name]
        for code in set(column) - seen:
            if code not in known or not self._unchanged(name, code):
                raise NotPlain
            seen.add(code)
            self.new_codes[name].add(code)

    def _unchanged(self, name: str, cell: str) -> bool:
        """The per-row reader takes the cell as it is (stripped, it would be the same)."""
        if not cell or len(cell) > LONGEST_CELL:
            return False
        try:
            return self.convert[name](cell) == cell
        except ValidationError:
            return False

    def take_new(self) -> tuple[list[str], dict[str, set[str]]]:
        """The months and codes the last block named first: (months in the file's order,
        {code column: codes})."""
        months, self.new_months = self.new_months, []
        codes = {name: found for name, found in self.new_codes.items() if found}
        self.new_codes = {name: set() for name in self.new_codes}
        return months, codes

    def _digest(self, columns: dict[str, list[str]]) -> None:
        """The rows' text for the content checksum, as ``LineRows`` writes it
        (``name=value`` joined by ``\\x1f``, each row ended by ``\\x1e``)."""
        parts: list = []
        for name in self.canonical:
            parts += ["\x1f" + name + "=" if parts else name + "=", columns[name]]
        self.ctx.content.update(rows_text(parts + ["\x1e"], len(columns[name])).encode())


def rows_text(parts: list, count: int) -> str:
    """The text of ``count`` rows, row i the concatenation of ``parts``: each a constant
    text or a column (a list, its cell i). One ``str.join`` of a list filled by slice
    assignments: loops in C, no Python call per row (a ``%`` format per row cost 1.6 times as
    much for the content checksum's text)."""
    step = len(parts)
    flat: list = [None] * (step * count)
    for k, part in enumerate(parts):
        flat[k::step] = [part] * count if isinstance(part, str) else part
    return "".join(flat)


LOOKUPS = {"consumer_code": "consumers", "service_code": "services"}


class _Copy:
    """PostgreSQL: one ``COPY ... FROM STDIN`` into ``usage_lines`` while the file names no
    new month or code. A new one ends it (the connection runs one statement at a time): the
    month is locked and checked open, the code held ``FOR KEY SHARE`` (what a foreign key
    would hold, as the staging path holds it), and a new ``COPY`` goes on."""

    COPY = ("COPY usage_lines (period, consumer_id, service_id, quantity, batch_id) "
            "FROM STDIN")

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.driver = ctx.session.connection().connection.driver_connection
        self.copy = self.open = None
        self.end = f"\t{ctx.batch_id}\n"  # each line ends with the batch (one join per block)
        self.after = totals.last_line_id(ctx.session)
        self.consumers = {code: str(cid) for code, cid in ctx.consumers.items()}
        self.services = {code: str(sid) for code, (sid, _) in ctx.services.items()}

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        self._end(error)
        return False

    def write(self, columns: dict[str, list[str]],
              new: tuple[list[str], dict[str, set[str]]]) -> None:
        months, codes = new
        if months or codes:
            self._end(None)
            _lock_months(self.ctx, months)
            self._hold(codes)
        if self.copy is None:
            self.open = ExitStack()
            cursor = self.open.enter_context(self.driver.cursor())
            self.copy = self.open.enter_context(cursor.copy(self.COPY))
        rows = zip(columns["period"], map(self.consumers.__getitem__, columns["consumer_code"]),
                   map(self.services.__getitem__, columns["service_code"]), columns["quantity"],
                   strict=True)
        self.copy.write((self.end.join(map("\t".join, rows)) + self.end).encode())

    def _end(self, error) -> None:
        """End the COPY: its rows are in (or, after an error, it fails and takes them)."""
        if self.open is not None:
            open_, self.open, self.copy = self.open, None, None
            open_.__exit__(type(error) if error else None, error, None)

    def _hold(self, codes: dict[str, set[str]]) -> None:
        """The new codes, held until the batch commits; one gone since it was read (deleted
        by another transaction) is for the per-row path to report."""
        for name, named in codes.items():
            found = self.ctx.session.execute(text(
                f"SELECT code FROM {LOOKUPS[name]} WHERE code = ANY(:codes) ORDER BY id "
                "FOR KEY SHARE"), {"codes": sorted(named)}).scalars().all()
            if len(found) != len(named):
                raise NotPlain

    def finish(self) -> None:
        self._end(None)
        if self.ctx.rows_read:
            totals.add_grouped(self.ctx.session, (
                f"SELECT period, service_id, consumer_id, {totals.MICROS_SUM}, count(*) "
                "FROM usage_lines WHERE id > :after AND batch_id = :batch "
                "GROUP BY period, service_id, consumer_id"),
                {"after": self.after, "batch": self.ctx.batch_id})


def _lock_months(ctx: ImportContext, months: list[str]) -> None:
    """Lock each month in turn (``ImportContext.month_status``); a frozen one is for the
    per-row path to report on its lines."""
    for period in months:
        if ctx.month_status(period) in FROZEN_STATUSES:
            raise NotPlain


class _Insert:
    """SQLite: ``executemany`` of the block's columns zipped (no tuple built in Python per
    row), with the page cache the direct path writes with; the sums from the batch's
    lines, found by their ids."""

    SQL = ("INSERT INTO usage_lines (batch_id, period, consumer_id, service_id, quantity) "
           "VALUES (?, ?, ?, ?, ?)")

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.driver = ctx.session.connection().connection.driver_connection
        self.after = totals.last_line_id(ctx.session)
        self.consumers = dict(ctx.consumers)
        self.services = {code: sid for code, (sid, _) in ctx.services.items()}
        self.cache = _page_cache(self.driver)

    def __enter__(self):
        self.cache.__enter__()
        return self

    def __exit__(self, kind, error, trace):
        return self.cache.__exit__(kind, error, trace)

    def write(self, columns: dict[str, list[str]],
              new: tuple[list[str], dict[str, set[str]]]) -> None:
        _lock_months(self.ctx, new[0])
        self.driver.executemany(self.SQL, zip(
            repeat(self.ctx.batch_id), columns["period"],
            map(self.consumers.__getitem__, columns["consumer_code"]),
            map(self.services.__getitem__, columns["service_code"]), columns["quantity"]))

    def finish(self) -> None:
        if self.ctx.rows_read:
            totals.add_batch(self.ctx.session, self.ctx.batch_id, self.after)
