"""Engine-level settings that make SQLite keep the same promises as PostgreSQL.

pysqlite opens transactions lazily and ignores SAVEPOINT semantics unless told otherwise,
and SQLite leaves foreign keys unchecked by default. An import refused half-way must roll
back whole on both databases, so the SQLite engine gets explicit BEGIN and foreign keys.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")
