"""Building a period's pack from what its close stored, and writing it with ``reports``.

A pack is always built from the stored results (never from a fresh computation), so
``chargeback pack`` writes a closed month again with exactly the figures of its close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Charge, Consumer, JournalLine, PackFile, Period, Service, Unit
from chargeback.services import portfolio
from reports import model as pm
from reports.pack import pack_filename, write_pack

__all__ = ["build", "pack_filename", "write", "WrittenPack"]


@dataclass
class WrittenPack:
    path: Path
    sha256: str


def write(session: Session, period: str, path: Path, currency: str,
          status: str = "final") -> WrittenPack:
    """Write the pack of ``period`` to ``path`` (atomically) and return its checksum."""
    write_pack(build(session, period, currency, status), path)
    digest = _sha256(path)
    return WrittenPack(path=path, sha256=digest)


def build(session: Session, period: str, currency: str, status: str = "final") -> pm.Pack:
    row = session.get(Period, period)
    stored = portfolio.load(session, period)
    rows, notes = portfolio.rows(session, stored)
    return pm.Pack(
        period=period, status=status, revision=max(row.close_count, 1),
        generated_at=dt.datetime.now(dt.UTC), currency=currency, portfolio=rows,
        charges=_charges(session, period), journal=_journal(session, period),
        scorecards=_scorecards(session, stored), notes=notes)


def _charges(session: Session, period: str) -> Iterator[pm.ChargeRow]:
    """Stream the charge lines, provider by provider; never the whole month in memory."""
    query = (select(Unit.code, Unit.billing_mode, Service.code, Consumer.code, Consumer.name,
                    Charge.method, Charge.basis, Charge.quantity, Charge.rate, Charge.amount)
             .join(Unit, Unit.id == Charge.unit_id)
             .join(Consumer, Consumer.id == Charge.consumer_id)
             .outerjoin(Service, Service.id == Charge.service_id)
             .where(Charge.period == period).order_by(Unit.code, Charge.id))
    for unit, mode, service, consumer, name, method, basis, qty, rate, amount in \
            session.execute(query).yield_per(10_000):
        yield pm.ChargeRow(unit=unit, service=service, consumer=consumer, consumer_name=name,
                           method=method, basis=basis, billing_mode=mode, quantity=qty,
                           rate=rate, amount=amount)


def _journal(session: Session, period: str) -> tuple[pm.JournalRow, ...]:
    rows = session.execute(
        select(JournalLine, Unit.code, Consumer.code)
        .join(Unit, Unit.id == JournalLine.unit_id)
        .outerjoin(Consumer, Consumer.id == JournalLine.consumer_id)
        .where(JournalLine.period == period).order_by(JournalLine.journal, JournalLine.id))
    return tuple(pm.JournalRow(journal=j.journal, period=j.period, unit=unit, account=j.account,
                               consumer=consumer, description=j.description, debit=j.debit,
                               credit=j.credit, currency=j.currency)
                 for j, unit, consumer in rows)


def _scorecards(session: Session, stored: portfolio.StoredPeriod) -> tuple[pm.UnitScorecard, ...]:
    """One sheet per rated unit, in tree order like the Portfolio sheet."""
    order = portfolio.tree_order(stored.parents())
    return tuple(portfolio.scorecard_of(session, code, stored.ratings[code], stored.tree[code])
                 for code, _ in order if code in stored.ratings)


def latest_pack(session: Session, period: str) -> PackFile | None:
    return session.scalar(select(PackFile).where(PackFile.period == period,
                                                 PackFile.kind == "final")
                          .order_by(PackFile.revision.desc()).limit(1))



def _sha256(path: Path) -> str:
    """The file's checksum, read in chunks (a pack of a million lines is tens of MB)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
