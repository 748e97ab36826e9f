"""Building a month's pack from what its close froze, and writing it with ``reports``.

A pack is always built from the frozen read model (``queries``), never from a fresh
computation, so a pack written again has exactly the figures, the tree, the names, the
currency and the band limits of its close, and its Cover the close's own time and seal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from chargeback.models.types import as_utc
from chargeback.services.queries import (
    charges,
    closed_month,
    differences,
    history,
    journal,
    ratings,
    summary,
)
from chargeback.services.queries import statements as consumer_statements
from reports import model as pm

__all__ = ["build", "pack_filename", "sha256_of", "write", "WrittenPack"]


def pack_filename(period: str, revision: int) -> str:
    """The pack's file name (``reports.pack``'s rule), without importing the pack writer
    and openpyxl into every page and command that only names a pack."""
    from reports.pack import pack_filename as name

    return name(period, revision)


@dataclass
class WrittenPack:
    path: Path
    sha256: str


def write(session: Session, period: str, path: Path, default_currency: str,
          status: str = "final") -> WrittenPack:
    """Write the pack of ``period`` to ``path`` (atomically) and return its checksum."""
    from reports.pack import write_pack  # openpyxl: only when a pack is written

    write_pack(build(session, period, default_currency, status), path)
    return WrittenPack(path=path, sha256=sha256_of(path))


def build(session: Session, period: str, default_currency: str,
          status: str = "final") -> pm.Pack:
    month = closed_month.load(session, period, default_currency)
    rows, notes, past = history.portfolio_of(session, month)
    cards = ratings.scorecards(session, period)
    in_order = tuple(cards[code] for code, _ in month.order() if code in cards)
    generated = as_utc(month.computed_at) if status == "final" and month.computed_at else \
        dt.datetime.now(dt.UTC)
    return pm.Pack(
        period=period, status=status, revision=month.revision, generated_at=generated,
        currency=month.currency, portfolio=rows, charges=charges.pack_rows(session, period),
        journal=journal.pack_rows(session, period), scorecards=in_order,
        notes=notes, seal=month.seal if status == "final" else None,
        summary=summary.rows(session, month, rows, past, in_order),
        differences=differences.rows(session, month, rows, cards),
        judged_by_each_other=differences.judged_by_each_other(session, month, rows),
        trend=history.trend_rows(past, [r.unit for r in rows]),
        statements=consumer_statements.pack_rows(session, period))



def sha256_of(path: Path) -> str:
    """The file's checksum, read in chunks (a pack of a million lines is tens of MB)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
