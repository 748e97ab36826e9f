"""Running a close end to end for a command or a job: one transaction, then the pack.

The close verb only flushes; this is the one place that commits it and then publishes
the pack, or rolls back and removes the pending file, so every caller gets the same
all-or-nothing behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app

from chargeback.extensions import db
from chargeback.services import packs
from chargeback.services.closing import CloseRefused, close_period
from chargeback.services.periods import PeriodRefused
from chargeback.services.settings import currency


def _pack_dir() -> Path:
    return Path(current_app.config["CHARGEBACK_PACK_DIR"])


def close_and_publish(period: str, actor: str, refuse: Callable[[str], None]) -> Path:
    """Close ``period`` and return the published pack; ``refuse`` reports a refusal."""
    closed = None
    try:
        closed = close_period(db.session, period, actor, _pack_dir(),
                              currency(db.session, current_app.config["CHARGEBACK_CURRENCY"]))
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
                currency(db.session, current_app.config["CHARGEBACK_CURRENCY"]))
    return target
