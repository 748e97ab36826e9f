"""Expensive data sets built once per test session, then restored for each test that asks.

``built_once(name, build)`` runs ``build`` (the real thing: the command line, the services)
the first time a test asks for ``name``, then keeps a copy of the whole database and of the
pack folder. A later test that asks for ``name`` from the same starting state gets that
copy back instead of building it again: importing and closing the end-to-end company takes
about a second, restoring it a few milliseconds on SQLite and some tens on PostgreSQL.

"The same starting state" is checked, not assumed: the state is a digest of every table's
rows (and the list of tables, the Alembic revision included), so a test that changed
anything before asking builds for real, and so does a test whose tables are too big to
digest cheaply. A copy is kept per (name, starting state).

- SQLite: the copy is a file made with SQLite's online backup; restoring backs it up onto
  the test's database (every page, so the schema, sequences and all come back as built).
- PostgreSQL: the copy is a schema of its own in the test database (``CREATE TABLE .. AS``
  per table) and the sequences' values; restoring empties the tables and inserts the rows
  back in foreign-key order in one transaction, then sets the sequences. Measured against
  a template database (``DROP DATABASE`` + ``CREATE DATABASE .. TEMPLATE``, 80-100 ms and
  a new connection), and against ``TRUNCATE`` (0.6-1.1 s for the 35 tables), this was the
  fastest: 40-70 ms.

Pack files: the copy keeps the pack folder's files, and a restore puts them in the test's
own pack folder and points ``pack_files.path`` there, so a test that deletes or changes a
pack touches only its own.

``CHARGEBACK_TEST_SNAPSHOTS=0`` turns the copies off: every test builds for real (slower;
a way to check that a failure has nothing to do with the copies).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, text

from chargeback.extensions import db
from chargeback.models import Base

DIGEST_LIMIT = 20_000  # rows: a state with a bigger table is not digested, and never reused
SCHEMA_PREFIX = "test_snapshot_"
ENABLED = os.environ.get("CHARGEBACK_TEST_SNAPSHOTS", "1") != "0"


@dataclass
class Snapshot:
    where: str  # SQLite: the copy's file; PostgreSQL: the copy's schema
    tables: list[str]  # in foreign-key order, parents first
    columns: dict[str, str]  # PostgreSQL: each table's quoted column list
    sequences: dict[str, int | None]  # PostgreSQL: each sequence's last value
    rows: dict[str, int]  # PostgreSQL: each table's row count
    packs: Path  # the copy of the pack folder
    pack_dir: str  # the pack folder the build wrote to


class Store:
    """The copies of one test session, kept in ``folder`` (and PostgreSQL schemas)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.kept: dict[tuple[str, str], Snapshot] = {}
        self.numbers = itertools.count(1)
        self.schemas: dict[str, str] = {}  # PostgreSQL schema -> the database URL holding it

    def save(self) -> Snapshot:
        number = next(self.numbers)
        packs = self.folder / f"packs-{number}"
        pack_dir = _pack_dir()
        if pack_dir.is_dir():
            shutil.copytree(pack_dir, packs)
        else:
            packs.mkdir()
        with db.engine.connect() as connection:
            tables = _fk_order(_tables(connection))
        if db.engine.dialect.name == "sqlite":
            where = str(self.folder / f"snapshot-{number}.db")
            _sqlite_copy(db.engine, to_file=where)
            return Snapshot(where, tables, {}, {}, {}, packs, str(pack_dir))
        where = f"{SCHEMA_PREFIX}{number}"
        self.schemas[where] = db.engine.url.render_as_string(hide_password=False)
        columns, sequences, rows = _pg_save(where, tables)
        return Snapshot(where, tables, columns, sequences, rows, packs, str(pack_dir))

    def restore(self, snapshot: Snapshot) -> None:
        pack_dir = _pack_dir()
        pack_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(snapshot.packs, pack_dir, dirs_exist_ok=True)
        if db.engine.dialect.name == "sqlite":
            _sqlite_copy(db.engine, from_file=snapshot.where)
            with db.engine.begin() as connection:
                _repoint_packs(connection, snapshot, str(pack_dir))
        else:
            _pg_restore(snapshot, str(pack_dir))

    def close(self) -> None:
        """Drop the PostgreSQL schemas (SQLite's files go with the session's temp folder)."""
        by_url: dict[str, list[str]] = {}
        for schema, url in self.schemas.items():
            by_url.setdefault(url, []).append(schema)
        for url, schemas in by_url.items():
            engine = create_engine(url)
            try:
                with engine.begin() as connection:
                    for schema in schemas:
                        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            finally:
                engine.dispose()


_store: Store | None = None


def open_store(folder: Path) -> Store:
    global _store
    _store = Store(folder)
    return _store


def close_store() -> None:
    global _store
    if _store is not None:
        _store.close()
    _store = None


def built_once(name: str, build: Callable[[], object]) -> bool:
    """Run ``build`` in the test's database, or restore what it built from this same state
    earlier in the session; True when restored. Uses the current app context's database."""
    store = _store
    if store is None or not ENABLED:
        build()
        return False
    db.session.commit()  # what the test wrote is part of the state (the build commits too)
    state = _state()
    if state is None:
        build()
        return False
    snapshot = store.kept.get((name, state))
    if snapshot is not None:
        store.restore(snapshot)
        return True
    build()
    db.session.commit()
    store.kept[(name, state)] = store.save()
    return False


def drop_leftover_schemas(connection) -> None:
    """Schemas an interrupted earlier session left in a PostgreSQL test database."""
    if connection.dialect.name != "postgresql":
        return
    for (schema,) in connection.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
            {"prefix": SCHEMA_PREFIX + "%"}).all():
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


# --- the state a build starts from -----------------------------------------------------


def _state() -> str | None:
    """A digest of every row of every table (pack paths made relative to the test's pack
    folder), or None when a table is too big to digest cheaply."""
    pack_dir = str(_pack_dir())
    with db.engine.connect() as connection:
        tables = _tables(connection)
        counts = connection.execute(text("SELECT " + ", ".join(
            f"(SELECT count(*) FROM {_quote(t)})" for t in tables))).one()
        if max(counts, default=0) > DIGEST_LIMIT:
            return None
        filled = [t for t, n in zip(tables, counts, strict=True) if n]
        digest = hashlib.sha256(repr((tables, tuple(counts))).encode())
        if connection.dialect.name == "postgresql":
            digest.update(repr(_pg_digests(connection, filled, pack_dir)).encode())
            return digest.hexdigest()
        for table in filled:
            rows = sorted(repr(tuple(row)) for row in connection.execute(
                text(f"SELECT * FROM {_quote(table)}")))
            digest.update(f"\x1e{table}\x1f".encode())
            digest.update("\x1f".join(rows).replace(pack_dir, "<packs>").encode())
    return digest.hexdigest()


def _pg_digests(connection, tables: list[str], pack_dir: str) -> tuple:
    """One md5 per table, of its rows as JSON text, sorted: computed by the server in one
    query (one round trip instead of a query per table)."""
    if not tables:
        return ()
    return tuple(connection.execute(text("SELECT " + ", ".join(
        f"(SELECT md5(coalesce(string_agg(x, chr(31) ORDER BY x), '')) FROM "
        f"(SELECT replace(row_to_json(r)::text, :packs, '<packs>') AS x "
        f"FROM {_quote(t)} r) s)" for t in tables)), {"packs": pack_dir}).one())


def _tables(connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
    else:
        rows = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
    return sorted(name for (name,) in rows)


def _fk_order(tables: list[str]) -> list[str]:
    """The models' tables parents first, then any other table (alembic_version, ...)."""
    known = [t.name for t in Base.metadata.sorted_tables if t.name in tables]
    return known + [t for t in tables if t not in known]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pack_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_PACK_DIR"])


def _repoint_packs(connection, snapshot: Snapshot, pack_dir: str) -> None:
    """Pack rows name the build's pack folder: point them at this test's copies."""
    if "pack_files" not in snapshot.tables or snapshot.pack_dir == pack_dir:
        return
    prefix = snapshot.pack_dir.rstrip(os.sep) + os.sep
    for pack_id, path in connection.execute(text("SELECT id, path FROM pack_files")).all():
        if path.startswith(prefix):
            connection.execute(text("UPDATE pack_files SET path = :path WHERE id = :id"),
                               {"path": str(Path(pack_dir) / path[len(prefix):]),
                                "id": pack_id})


# --- SQLite: a file copy through the online backup -------------------------------------


def _sqlite_copy(engine, to_file: str | None = None, from_file: str | None = None) -> None:
    """Copy the database to ``to_file`` or from ``from_file``, every page. The engine's other
    connections are idle (the test's session committed), so the copy needs no waiting."""
    raw = engine.raw_connection()
    other = sqlite3.connect(to_file or from_file)
    try:
        if to_file:
            raw.driver_connection.backup(other)
        else:
            other.backup(raw.driver_connection)
    finally:
        other.close()
        raw.close()


# --- PostgreSQL: a schema of copies, restored in one transaction ------------------------


def _pg_save(schema: str, tables: list[str]) -> tuple[dict, dict, dict]:
    """The copies, and what a restore needs: column lists, sequence values, row counts."""
    with db.engine.begin() as connection:
        live = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {_quote(schema)}"))
        columns, rows = {}, {}
        for table in tables:
            connection.execute(text(f"CREATE TABLE {_quote(schema)}.{_quote(table)} AS "
                                    f"TABLE {_quote(live)}.{_quote(table)}"))
            names = connection.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
                "AND table_name = :t ORDER BY ordinal_position"), {"s": schema, "t": table})
            columns[table] = ", ".join(_quote(name) for (name,) in names)
            rows[table] = connection.execute(text(
                f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)}")).scalar_one()
        sequences = dict(connection.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema()")).all())
    return columns, sequences, rows


def _pg_restore(snapshot: Snapshot, pack_dir: str) -> None:
    """One script, one round trip: empty every table (children first), insert the copies
    back (parents first), set the sequences."""
    schema = _quote(snapshot.where)
    script = [f"DELETE FROM {_quote(t)}" for t in reversed(snapshot.tables)]
    script += [f"INSERT INTO {_quote(t)} ({snapshot.columns[t]}) "
               f"SELECT {snapshot.columns[t]} FROM {schema}.{_quote(t)}"
               for t in snapshot.tables if snapshot.rows[t]]
    script += [f"SELECT setval('{_quote(name)}', {value or 1}, {value is not None})"
               for name, value in snapshot.sequences.items()]
    with db.engine.begin() as connection:
        connection.exec_driver_sql(";\n".join(script))
        _repoint_packs(connection, snapshot, pack_dir)
