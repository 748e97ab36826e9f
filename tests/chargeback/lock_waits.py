"""Seeing a session wait for a lock, so a race test can release the side it paused at a
failpoint (``chargeback.failpoints``) the moment the other side is queued behind it,
instead of pausing for a fixed time and hoping the other side got there meanwhile.

On PostgreSQL the server says so: a backend of the test database waits on a ``Lock``
(a row, a transaction or an advisory lock). SQLite's waits happen inside the client (its
busy handler retries the statement), so every statement a process sends is written down
while it runs (``track_statements``: the test process, and the processes started with
``probed_cli``): a statement still running after ``WAITING_SECONDS`` is queued for the
write lock, since every statement of these tests otherwise takes milliseconds. Should the
other side never queue (the product stopped taking its lock), nobody releases the paused
side, it waits out its whole pause, and the test's assertions see the broken result.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

WAITING_SECONDS = 0.25
FOLDER_VARIABLE = "CHARGEBACK_TEST_STATEMENTS_DIR"


def track_statements(folder: Path):
    """Writes a file per statement running on any engine of this process (named by
    process and thread, holding its start time), removed when the statement ends.
    Returns what undoes it."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def mark() -> Path:
        return folder / f"{os.getpid()}-{threading.get_ident()}"

    def started(*_):
        mark().write_text(repr(time.time()))

    def ended(*_):
        mark().unlink(missing_ok=True)

    hooks = (("before_cursor_execute", started), ("after_cursor_execute", ended),
             ("handle_error", ended))
    for name, hook in hooks:
        event.listen(Engine, name, hook)

    def undo() -> None:
        for name, hook in hooks:
            event.remove(Engine, name, hook)
    return undo


@contextlib.contextmanager
def statements_tracked(folder: Path):
    folder.mkdir(exist_ok=True)
    undo = track_statements(folder)
    try:
        yield folder
    finally:
        undo()


def someone_waits(engine, folder: Path, but: int | None = None) -> bool:
    """A session is queued for a lock (``but``: a process id whose statements do not
    count, the paused process's own)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return bool(connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")))
    now = time.time()
    for mark in folder.iterdir():
        if but is not None and mark.name.startswith(f"{but}-"):
            continue
        with contextlib.suppress(FileNotFoundError, ValueError):
            if now - float(mark.read_text()) >= WAITING_SECONDS:
                return True
    return False


def release(marks: Path, point: str) -> None:
    """Ends the pause of every process at (or yet to reach) ``point``."""
    (marks / f"{point}.release").touch()


def arrived(marks: Path, point: str) -> int:
    """How many processes have reached the failpoint ``point``."""
    return sum(1 for mark in marks.glob(f"{point}.*") if mark.suffix[1:].isdigit())


@contextlib.contextmanager
def released_when(condition, marks: Path, point: str, timeout: float = 120):
    """Inside the block, a thread releases ``point`` once ``condition()`` holds (the
    block is the side that comes to wait). Afterwards the block must have waited: a
    block that ended with the other side still paused did not queue behind it."""
    done, released = threading.Event(), threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while not done.is_set() and time.monotonic() < deadline:
            if condition():
                released.set()
                release(marks, point)
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(timeout=10)
        release(marks, point)  # whatever happened, the paused side goes on
    assert released.is_set(), f"nothing queued behind the process paused at {point}"


def probed_cli(*args) -> list[str]:
    """``chargeback *args`` as a command whose statements are written down (with
    ``CHARGEBACK_TEST_STATEMENTS_DIR`` set in its environment)."""
    return [sys.executable, __file__, *args]


if __name__ == "__main__":  # probed_cli: the command line, its statements tracked
    sys.path[0] = str(Path(__file__).resolve().parents[2])  # the repository, not tests/
    track_statements(Path(os.environ[FOLDER_VARIABLE]))
    from chargeback import main

    sys.exit(main())
