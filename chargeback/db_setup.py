"""Engine-level settings that make SQLite keep the same promises as PostgreSQL.

pysqlite opens transactions lazily and ignores SAVEPOINT semantics unless told otherwise,
and SQLite leaves foreign keys unchecked by default. An import refused half-way must roll
back whole on both databases, so the SQLite engine gets explicit BEGIN and foreign keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from decimal import Decimal

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

# PostgreSQL's deadlock_detected and serialization_failure (two transactions waited on each
# other and the server stopped one of them) and lock_not_available (a lock wait ran out of
# time, see ``limit_lock_waits``): doing the same again is the cure.
CONTENTION_STATES = frozenset({"40P01", "40001", "55P03"})

_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=False)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock at once (BEGIN IMMEDIATE).

    A long writer such as the close must not start as a reader: if another process writes
    meanwhile, SQLite refuses the upgrade to a writer outright (it cannot wait for it).
    Taking the lock first makes the others wait their turn instead. PostgreSQL ignores it.
    """
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


def become_writer() -> Token:
    """From now until ``done(token)``, transactions begin as writers (see above): a web
    request that may write starts its transaction this way."""
    return _immediate.set(True)


def done(token: Token) -> None:
    _immediate.reset(token)


def is_sqlite_busy(error: BaseException) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY): another connection held the write lock
    longer than the busy timeout."""
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlite_errorname", "").startswith("SQLITE_BUSY") or (
        isinstance(orig, sqlite3.OperationalError) and "database is locked" in str(orig))


def is_contention(error: DBAPIError) -> bool:
    """Whether the database stopped this transaction because of another one (a deadlock, a
    lock or SQLite's write lock waited for too long): nothing is wrong with what was asked,
    it can be tried again."""
    if getattr(error.orig, "sqlstate", None) in CONTENTION_STATES:
        return True
    return is_sqlite_busy(error)


def limit_lock_waits(connection, seconds: int) -> None:
    """Let this transaction wait at most ``seconds`` for any lock (PostgreSQL): a web
    request that would otherwise hang for the length of a month's close is answered "try
    again" instead. SQLite's own wait is its ``busy_timeout``."""
    if connection.dialect.name == "postgresql" and seconds > 0:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds)}s'")


SQLITE_BUSY_SECONDS = 30


def configure_engine(engine: Engine, busy_seconds: int = SQLITE_BUSY_SECONDS) -> None:
    """SQLite: explicit BEGIN, foreign keys, WAL, and ``busy_seconds`` of waiting for another
    process's write lock (``CHARGEBACK_SQLITE_BUSY_SECONDS``) before "database is busy"."""
    if engine.dialect.name != "sqlite":
        return
    # sqlite3 binds no Decimal. SQLAlchemy converts one itself for its own statements;
    # rows written straight through the driver (``bulk_write``) go as their text, which a
    # NUMERIC column stores as the same number.
    sqlite3.register_adapter(Decimal, str)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        # first: turning WAL on takes the lock, and must wait for it like anything else
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def drop_every_table(engine: Engine) -> None:
    """Every table the database holds, as it is (an older revision's keys and tables
    included): the tests and the benchmarks start from an empty database this way."""
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
