"""The month's usage sums (``usage_totals``), kept by every write of usage lines.

The close rates usage per consumer and service in the month; summing millions of lines at
each close was most of its time, so the sums are kept as the lines are written, in the
same transaction and set-based (one statement per batch, never a row at a time):

- an import adds its batch's sums, grouped in the database, with an upsert
  (``INSERT ... ON CONFLICT DO UPDATE``): two imports into the same month at once both
  count, whichever commits first (a read-then-write would lose one of them);
- ``--replace`` takes away the sums of the lines it deletes, read in the same statement
  as the delete on PostgreSQL, and a total left with no line goes.

A failed import rolls back with its lines. Sums are integers in millionths (a quantity has
six decimals): exact on SQLite, whose stored numbers are doubles, and exact to add.
Nothing else writes usage lines; whatever would (a hand-made ``INSERT``) must keep the
totals too, or the close will not see it (docs/imports.md, "Usage totals").
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

UPSERT = ("ON CONFLICT (period, service_id, consumer_id) DO UPDATE SET "
          "quantity_micros = usage_totals.quantity_micros + excluded.quantity_micros, "
          "lines = usage_totals.lines + excluded.lines")
COLUMNS = "period, service_id, consumer_id, quantity_micros, lines"
SQLITE_MICROS = "sum(CAST(round(quantity * 1000000) AS INTEGER))"
# PostgreSQL: each line's quantity in millionths (exact: six decimals), summed in a bigint
# kept in the group itself (migration 0021); a numeric sum per group cost a third more.
MICROS_SUM = "bigint_sum(CAST(quantity * 1000000 AS bigint))"


def add_grouped(session: Session, grouped: str, params: dict) -> None:
    """PostgreSQL: add the sums ``grouped`` selects (``period, service_id, consumer_id,
    quantity_micros, lines``: a batch's quantities summed exactly in millionths, as
    ``MICROS_SUM`` sums them).

    The statement runs with ``PLANNER`` settings of its own: the memory to hash a month's
    pairs at once (tens of thousands of groups; with the default 4 MB it sorted a million
    rows on disk instead), and a hash, not a sort, whatever the statistics say (they predate
    the batch: the planner expects a few rows and sorted a million lines by their month's
    text); no parallel workers or JIT compiling, which cost more than they save on a
    statement that runs once per batch."""
    previous = {name: session.execute(text("SELECT current_setting(:name)"),
                                      {"name": name}).scalar_one() for name in PLANNER}
    _settings(session, PLANNER)
    session.execute(text(f"INSERT INTO usage_totals ({COLUMNS}) {grouped} {UPSERT}"), params)
    _settings(session, previous)


def _settings(session: Session, values: dict[str, str]) -> None:
    for name, value in values.items():
        session.execute(text("SELECT set_config(:name, :value, true)"),
                        {"name": name, "value": value})


WORK_MEM = "64MB"
PLANNER = {"work_mem": WORK_MEM, "enable_sort": "off", "max_parallel_workers_per_gather": "0",
           "jit": "off"}


def last_line_id(session: Session) -> int:
    """The highest usage line id so far; the batch's lines about to be written come after
    it. SQLite: one writer at a time, and a new rowid is the highest plus one. PostgreSQL:
    the id sequence hands a session ids a thousand at a time (migration 0010), so a session
    that wrote lines before may hold ids below those other sessions have used since; they
    are let go first (``DISCARD SEQUENCES``), and the session's next ids come after every
    id handed out (usage batches take turns: no other session writes lines meanwhile)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DISCARD SEQUENCES"))
    return session.execute(text("SELECT coalesce(max(id), 0) FROM usage_lines")).scalar_one()


def add_batch(session: Session, batch_id: int, after_id: int) -> None:
    """SQLite: add the sums of the batch's lines, found by the primary key (ids above
    ``after_id``), not by a scan of the table."""
    session.execute(text(
        f"INSERT INTO usage_totals ({COLUMNS}) "
        f"SELECT period, service_id, consumer_id, {SQLITE_MICROS}, count(*) "
        "FROM usage_lines WHERE id > :after AND batch_id = :batch "
        # "WHERE true": SQLite's parser needs a WHERE before an upsert's ON CONFLICT
        f"GROUP BY period, service_id, consumer_id HAVING true {UPSERT}"),
        {"after": after_id, "batch": batch_id})


def delete_lines(session: Session, period: str, service_ids: list[int],
                 keep_batch: int) -> tuple[int, Decimal | None]:
    """Delete the month's lines of ``service_ids`` that are not of ``keep_batch`` and take
    their sums off the totals; (how many lines went, their total quantity)."""
    params = {"period": period, "services": service_ids, "batch": keep_batch}
    if session.get_bind().dialect.name == "postgresql":
        count, micros = _delete_postgresql(session, params)
    else:
        count, micros = _delete_sqlite(session, params)
    if count:
        session.execute(text("DELETE FROM usage_totals WHERE period = :period AND lines = 0"),
                        params)
    return int(count), None if micros is None else Decimal(int(micros)).scaleb(-6)


def _delete_postgresql(session: Session, params: dict) -> tuple[int, int | None]:
    """One statement: the lines deleted are exactly the lines whose sums are taken off,
    even while another import commits lines of the same month."""
    return session.execute(text(
        "WITH gone AS (DELETE FROM usage_lines WHERE period = :period AND batch_id <> :batch "
        "AND service_id = ANY(:services) RETURNING period, service_id, consumer_id, quantity), "
        "sums AS (SELECT period, service_id, consumer_id, count(*) AS lines, "
        "CAST(round(sum(quantity) * 1000000) AS bigint) AS micros FROM gone "
        "GROUP BY period, service_id, consumer_id), "
        "taken AS (UPDATE usage_totals t SET quantity_micros = t.quantity_micros - s.micros, "
        "lines = t.lines - s.lines FROM sums s WHERE t.period = s.period "
        "AND t.service_id = s.service_id AND t.consumer_id = s.consumer_id) "
        "SELECT coalesce(sum(lines), 0), sum(micros) FROM sums"), params).one()


def _delete_sqlite(session: Session, params: dict) -> tuple[int, int | None]:
    """SQLite has one writer: the sums read, then the lines deleted, see the same rows."""
    services = ", ".join(str(int(s)) for s in params["services"]) or "NULL"
    where = (f"period = :period AND batch_id <> :batch AND service_id IN ({services})")
    session.execute(text(
        "UPDATE usage_totals SET quantity_micros = quantity_micros - s.micros, "
        "lines = usage_totals.lines - s.lines FROM ("
        f"SELECT period, service_id, consumer_id, {SQLITE_MICROS} AS micros, "
        f"count(*) AS lines FROM usage_lines WHERE {where} "
        "GROUP BY period, service_id, consumer_id) s WHERE usage_totals.period = s.period "
        "AND usage_totals.service_id = s.service_id "
        "AND usage_totals.consumer_id = s.consumer_id"), params)
    count, micros = session.execute(text(
        f"SELECT count(*), {SQLITE_MICROS} FROM usage_lines WHERE {where}"), params).one()
    if count:
        session.execute(text(f"DELETE FROM usage_lines WHERE {where}"), params)
    return count, micros
