"""Fault injection for the tests that kill or stall a real process at a chosen step.

``CHARGEBACK_FAILPOINT=close.before-commit:30`` makes a close pause there for at most 30
seconds, so a test can kill it or race it; ``...:fail`` raises there instead. Several
points may be named, separated by commas. With ``CHARGEBACK_FAILPOINT_DIR`` set, a pausing
failpoint first creates a file of its name there (and one named ``<name>.<pid>``, so a
test can count the processes that got there), and ends its pause as soon as a file
``<name>.release`` appears there: a test releases the process the moment the other side
of its race has got where it must be, instead of always waiting out the pause. Unset
(always, in production), a failpoint does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

POLL_SECONDS = 0.02


class Failpoint(RuntimeError):
    """Raised at a failpoint set to ``fail``."""


def failpoint(name: str) -> None:
    for entry in os.environ.get("CHARGEBACK_FAILPOINT", "").split(","):
        point, _, action = entry.strip().partition(":")
        if point != name:
            continue
        if action == "fail":
            raise Failpoint(f"failpoint {name}")
        if action.isdigit():
            _pause(name, int(action))


def _pause(name: str, seconds: int) -> None:
    folder = os.environ.get("CHARGEBACK_FAILPOINT_DIR")
    if not folder:
        time.sleep(seconds)
        return
    marks = Path(folder)
    (marks / f"{name}.{os.getpid()}").touch()
    (marks / name).touch()
    release = marks / f"{name}.release"
    deadline = time.monotonic() + seconds
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
