"""Running a close end to end for a command or a job: one transaction, then the pack.

The close verb only flushes; this is the one place that commits it and then publishes
the pack, or rolls back and removes the pending file, so every caller gets the same
all-or-nothing behaviour.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from chargeback.db_setup import write_transaction
from chargeback.extensions import db
from chargeback.services import packs
from chargeback.services.closing import CloseRefused, close_period
from chargeback.services.periods import PeriodRefused
from chargeback.services.settings import currency, currency_of


def _pack_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_PACK_DIR"])


def close_and_publish(period: str, actor: str, refuse: Callable[[str], None]) -> Path:
    """Close ``period`` and return the published pack; ``refuse`` reports a refusal."""
    closed = None
    money = currency(db.session, current_app.config["CHARGEBACK_CURRENCY"])
    db.session.rollback()  # the close starts its own transaction, as the writer
    try:
        with write_transaction():
            closed = close_period(db.session, period, actor, _pack_dir(), money)
            failpoint("close.before-commit")
            db.session.commit()
    except (CloseRefused, PeriodRefused) as exc:
        db.session.rollback()
        _discard(closed)
        refuse(str(exc))
        raise
    except BaseException:
        db.session.rollback()
        _discard(closed)
        raise
    return closed.publish()


def failpoint(name: str) -> None:
    """Fault injection for the kill test: ``CHARGEBACK_FAILPOINT=close.before-commit:30``
    makes a close sleep there (30 whole seconds), so a test can kill a real process mid-close."""
    setting = os.environ.get("CHARGEBACK_FAILPOINT", "")
    if setting.startswith(name + ":"):
        time.sleep(int(setting.split(":", 1)[1]))  # whole seconds


def _discard(closed) -> None:
    if closed is not None:
        closed.discard()


def rewrite_pack(period: str, out: Path | None, refuse: Callable[[str], None]) -> Path:
    """Write a closed period's pack again from its stored figures."""
    from chargeback.models import Period

    row = db.session.get(Period, period)
    if row is None or row.close_count == 0:
        refuse(f"period {period} has never been closed: close it first")
    if row.status != "closed":
        refuse(f"period {period} was reopened and is open: its figures may change; close it "
               "again to get its pack")
    target = out or _pack_dir() / packs.pack_filename(period, row.close_count)
    target.parent.mkdir(parents=True, exist_ok=True)
    packs.write(db.session, period, target,
                currency_of(db.session, period, current_app.config["CHARGEBACK_CURRENCY"]))
    return target
