"""Fault injection for the tests that kill or stall a real process at a chosen step.

``CHARGEBACK_FAILPOINT=close.before-commit:30`` makes a close sleep 30 whole seconds there,
so a test can kill it or race it; ``...:fail`` raises there instead. Several points may be
named, separated by commas. With ``CHARGEBACK_FAILPOINT_DIR`` set, a pausing failpoint
first creates a file of its name there, so a test knows the process got there. Unset
(always, in production), a failpoint does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


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
            _mark(name)
            time.sleep(int(action))


def _mark(name: str) -> None:
    folder = os.environ.get("CHARGEBACK_FAILPOINT_DIR")
    if folder:
        (Path(folder) / name).touch()
