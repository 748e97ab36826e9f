"""Writing many rows in one go: ``COPY`` on PostgreSQL, a plain executemany on SQLite.

A close stores thousands of charge and journal lines (hundreds of thousands for a large
holding company). An ORM insert builds an object per row and a multi-row ``INSERT``
statement the server parses again; ``COPY`` streams the rows in PostgreSQL's own wire
format, inside the caller's transaction, so a failure later in the close still rolls
them back. SQLite has no ``COPY``: the driver's executemany in large chunks is its fastest
path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from sqlalchemy import Table
from sqlalchemy.orm import Session

CHUNK = 10_000


def write_rows(session: Session, table: Table, columns: Sequence[str],
               rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns how many.

    ``rows`` may be a generator: nothing holds more than one chunk of it at a time.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, columns, rows)
    return _executemany(connection, table, columns, rows)


def _copy(connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    names = ", ".join(f'"{name}"' for name in columns)
    written = 0
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _executemany(connection, table: Table, columns: Sequence[str],
                 rows: Iterable[Sequence]) -> int:
    """SQLite: the driver's own executemany of the tuples as they are, a chunk at a time
    (a Decimal is bound as its text: see ``db_setup.configure_engine``)."""
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join("?" for _ in columns)
    statement = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
    rows = iter(rows)
    written = 0
    while chunk := list(islice(rows, CHUNK)):
        connection.exec_driver_sql(statement, chunk)
        written += len(chunk)
    return written
