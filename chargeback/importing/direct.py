"""The SQLite bulk path of the line kinds: codes resolved by dict, ``executemany`` of tuples.

SQLite has no ``COPY`` and one writer at a time, so the fastest path it allows is the
driver's own ``executemany`` of plain tuples, ``CHUNK`` rows at a time, on the session's
connection (inside the batch's savepoint). Codes are resolved with dicts of the stored
codes read once per batch; each row's errors are reported as it is read, in the per-row
path's order. Writing stops at the first bad row; reading goes on to report every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chargeback.importing import totals
from chargeback.importing.context import ImportContext
from chargeback.importing.lines import CHUNK, SPEND, USAGE, LineKind
from chargeback.vocabulary import FROZEN_STATUSES


def load(ctx: ImportContext, spec: LineKind, rows: Iterator[list]) -> set[tuple[str, int]]:
    """Resolve and insert the rows; the (month, unit) pairs stored (for ``--replace``)."""
    columns = ["batch_id", "period", *(lookup.id_column for lookup in spec.lookups),
               *spec.values]
    sql = (f"INSERT INTO {spec.table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    driver = ctx.session.connection().connection.driver_connection
    covered: set[tuple[str, int]] = set()
    resolve = RESOLVERS[spec.kind](ctx, covered)
    chunk: list[tuple] = []
    errors = ctx.errors
    after = totals.last_line_id(ctx.session) if spec is USAGE else 0
    with _page_cache(driver):
        for row in rows:
            resolved = resolve(row)
            if resolved is not None and not errors:
                chunk.append(resolved)
                if len(chunk) >= CHUNK:
                    driver.executemany(sql, chunk)
                    chunk = []
        if chunk and not errors:
            driver.executemany(sql, chunk)
        if spec is USAGE and not errors:
            totals.add_batch(ctx.session, ctx.batch_id, after)
    return covered


PAGE_CACHE_KB = 16 * 1024


@contextmanager
def _page_cache(driver) -> Iterator[None]:
    """A page cache the lines table's indexes fit in while the batch is written (SQLite's
    default, 2 MB, makes every insert into the (period, service) index a page miss once the
    index outgrows it: a third more time at a million rows). Bounded, so memory stays flat."""
    (before,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(before)}")


def _open(ctx: ImportContext) -> Callable[[int, str], bool]:
    """``ImportContext.open_period`` with each month's answer kept for the batch."""
    months: dict[str, bool] = {}

    def is_open(line: int, period: str) -> bool:
        ok = months.get(period)
        if ok is None:
            ok = months[period] = ctx.month_status(period) not in FROZEN_STATUSES
        return ok or ctx.open_period(line, period)

    return is_open


def _usage(ctx: ImportContext, covered: set) -> Callable[[list], tuple | None]:
    consumers, services, batch = ctx.consumers, ctx.services, ctx.batch_id
    is_open, unknown, replace = _open(ctx), ctx.unknown, ctx.replace

    def resolve(row: list) -> tuple | None:
        line, period, consumer_code, service_code, quantity = row
        consumer = consumers.get(consumer_code)
        if consumer is None:
            unknown(line, "consumer_code", "consumer", consumer_code)
        service = services.get(service_code)
        if service is None:
            unknown(line, "service_code", "service", service_code)
        if consumer is None or service is None or not is_open(line, period):
            return None
        if replace:
            covered.add((period, service[1]))
        # a Decimal is bound as its text (db_setup.configure_engine): the same number stored
        return batch, period, consumer, service[0], quantity

    return resolve


def _spend(ctx: ImportContext, covered: set) -> Callable[[list], tuple | None]:
    units, batch, is_open, replace = ctx.units, ctx.batch_id, _open(ctx), ctx.replace

    def resolve(row: list) -> tuple | None:
        line, period, unit_code, cost_pool, amount, tower, account, description = row
        if not ctx.in_scope(line, unit_code):
            return None
        unit = units.get(unit_code)
        if unit is None:
            ctx.unknown(line, "unit_code", "unit", unit_code)
            return None
        if not is_open(line, period):
            return None
        if replace:
            covered.add((period, unit))
        return batch, period, unit, cost_pool, amount, tower, account, description

    return resolve


RESOLVERS = {USAGE.kind: _usage, SPEND.kind: _spend}
