"""A command against a SQLite database another process is writing to: it waits for it
(``CHARGEBACK_SQLITE_BUSY_SECONDS``), and when the other process holds on longer it ends
with one line saying what to do, exit status 1, nothing changed: never a traceback.

The other process is a real one holding SQLite's write lock; the command runs as a user
runs it, in a fresh interpreter (this checkout's code)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import func, select

from chargeback.models import User
from chargeback.models.base import Base

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from chargeback import main; sys.argv[0] = 'chargeback'; main()"
HOLD = textwrap.dedent("""
    import sqlite3, sys, time
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute("PRAGMA journal_mode=" + sys.argv[3])
    connection.execute("BEGIN " + sys.argv[4])
    connection.execute("UPDATE job_runs SET message = message")  # a write, under the lock
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    connection.execute("COMMIT")
""")


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "busy.db"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


def hold_lock(path: Path, seconds: float, journal: str = "WAL", begin: str = "IMMEDIATE"):
    """Another process that takes the write lock and keeps it ``seconds``."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds), journal,
                               begin], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def chargeback(path: Path, busy_seconds: int, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "busy-test",
           "CHARGEBACK_PACK_DIR": str(path.parent / "packs"),
           "CHARGEBACK_SQLITE_BUSY_SECONDS": str(busy_seconds),
           "CHARGEBACK_PASSWORD_HASH": "scrypt:1024:8:1"}
    return subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=ROOT, env=env, input="",
                          capture_output=True, text=True, timeout=120)


def users(path: Path) -> int:
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(User))
    engine.dispose()
    return count


def assert_one_line_busy(done: subprocess.CompletedProcess, waited: int) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("the database is busy")
    assert f"more than {waited} s" in lines[0] and "CHARGEBACK_SQLITE_BUSY_SECONDS" in lines[0]
    assert "nothing was changed" in lines[0]


def test_a_writer_waits_for_the_other_process(database):
    holder = hold_lock(database, 2)
    try:
        started = time.monotonic()
        done = chargeback(database, 60, "user", "add", "waits@example.com", "--role", "finance")
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started > 1  # it waited for the lock, then went on
    finally:
        holder.wait(timeout=60)
    assert users(database) == 1


def test_a_writer_that_waited_long_enough_says_so_in_one_line(database):
    holder = hold_lock(database, 60)
    try:
        done = chargeback(database, 1, "user", "add", "late@example.com", "--role", "finance")
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert_one_line_busy(done, 1)
    assert users(database) == 0


def test_a_reader_stopped_anywhere_by_the_lock_says_so_in_one_line(database):
    """Without WAL (a database another tool made), an exclusive lock stops even a command
    that only reads, before it reaches a transaction of its own: the same one line."""
    holder = hold_lock(database, 60, journal="DELETE", begin="EXCLUSIVE")
    try:
        done = chargeback(database, 1, "jobs", "list")
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert_one_line_busy(done, 1)
