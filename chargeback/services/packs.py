"""Building a period's pack from what its close stored, and writing it with ``reports``.

A pack is always built from the stored results (never from a fresh computation), so
``chargeback pack`` writes a closed month again with exactly the figures of its close.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from chargeback.models import (
    Charge,
    Consumer,
    JournalLine,
    PackFile,
    Period,
    Rating,
    ScorecardVersion,
    Service,
    Unit,
    UnitPeriodResult,
    UnitTreeSnapshot,
)
from chargeback.services.settings import thresholds
from reports import model as pm
from reports.pack import pack_filename, write_pack
from rules.model import RollupNode
from rules.rollup import roll_up

__all__ = ["build", "pack_filename", "write", "WrittenPack"]


@dataclass
class WrittenPack:
    path: Path
    sha256: str


def write(session: Session, period: str, path: Path, currency: str,
          status: str = "final") -> WrittenPack:
    """Write the pack of ``period`` to ``path`` (atomically) and return its checksum."""
    write_pack(build(session, period, currency, status), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return WrittenPack(path=path, sha256=digest)


def build(session: Session, period: str, currency: str, status: str = "final") -> pm.Pack:
    row = session.get(Period, period)
    tree = list(session.scalars(select(UnitTreeSnapshot)
                                .where(UnitTreeSnapshot.period == period)))
    ratings = {r.unit_id: r for r in session.scalars(select(Rating)
                                                     .where(Rating.period == period))}
    units = {u.id: u for u in session.scalars(select(Unit))}
    code_of = {u.id: u.code for u in units.values()}
    results = {code_of[r.unit_id]: r for r in session.scalars(
        select(UnitPeriodResult).where(UnitPeriodResult.period == period))}
    own = {code_of[uid]: r for uid, r in ratings.items()}
    portfolio, notes = _portfolio(session, period, tree, results, own)
    return pm.Pack(
        period=period, status=status, revision=max(row.close_count, 1),
        generated_at=dt.datetime.now(dt.UTC), currency=currency, portfolio=portfolio,
        charges=_charges(session, period), journal=_journal(session, period),
        scorecards=_scorecards(session, own, {t.unit_code: t for t in tree}), notes=notes)


def _internal_charges(session: Session, period: str) -> list[tuple[str, str, Decimal]]:
    """(from unit, to unit, amount): charges to consumers that are units."""
    provider, receiver = aliased(Unit), aliased(Unit)
    rows = session.execute(
        select(provider.code, receiver.code, Charge.amount)
        .join(provider, provider.id == Charge.unit_id)
        .join(Consumer, Consumer.id == Charge.consumer_id)
        .join(receiver, receiver.id == Consumer.unit_id)
        .where(Charge.period == period))
    sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: Decimal("0.00"))
    for a, b, amount in rows:
        sums[(a, b)] += amount
    return [(a, b, amount) for (a, b), amount in sorted(sums.items())]


def _portfolio(session, period, tree, results, own) -> tuple[tuple[pm.PortfolioRow, ...],
                                                              tuple[str, ...]]:
    zero = Decimal("0.00")
    nodes = []
    for t in tree:
        r = results.get(t.unit_code)
        rating = own.get(t.unit_code)
        nodes.append(RollupNode(
            code=t.unit_code, parent=t.parent_code, spend=r.spend if r else zero,
            budget=r.budget if r else None, charged=r.charged if r else zero,
            attainment=rating.attainment if rating else None,
            band=rating.band if rating else "unrated"))
    internal = _internal_charges(session, period)
    rows, errors = roll_up(nodes, internal, thresholds(session))
    if errors:
        raise ValueError("the stored tree cannot be rolled up: " + "; ".join(map(str, errors)))
    by_code = {t.unit_code: t for t in tree}
    parents = {t.parent_code for t in tree}
    portfolio = []
    for row in rows:
        t = by_code[row.code]
        is_group = row.code in parents
        rating = own.get(row.code)
        portfolio.append(pm.PortfolioRow(
            unit=row.code, name=t.name, parent=t.parent_code, depth=row.depth,
            is_group=is_group, service_model=t.service_model_code,
            billing_mode=t.billing_mode, spend=row.spend, budget=row.budget,
            charged=row.charged, recovery_pct=row.recovery_pct,
            absorbed=row.spend - row.charged, internal_eliminated=row.eliminated,
            attainment=row.attainment, band=row.band,
            own_attainment=rating.attainment if (is_group and rating) else None,
            own_band=rating.band if (is_group and rating) else None,
            band_counts=dict(row.band_counts) if is_group else {}))
    return tuple(portfolio), _notes(results, internal)


def _notes(results, internal) -> tuple[str, ...]:
    zero = Decimal("0.00")
    spend = sum((r.spend - r.internal_received for r in results.values()), zero)
    absorbed = sum((r.absorbed for r in results.values()), zero)
    moved = sum((amount for _, _, amount in internal), zero)
    charged_out = spend - absorbed
    return (
        f"External spend {spend:,.2f} = charged to business consumers {charged_out:,.2f} "
        f"+ absorbed by units {absorbed:,.2f} (conservation checked at the close).",
        f"Internal charges between units: {moved:,.2f}, eliminated in the group roll-ups.",
    )


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


def _scorecards(session, own: dict[str, Rating], tree) -> tuple[pm.UnitScorecard, ...]:
    sheets = []
    for code in (t for t in _tree_codes(tree) if t in own):
        rating = own[code]
        version = session.get(ScorecardVersion, rating.scorecard_version_id)
        snap = tree[code]
        sheets.append(pm.UnitScorecard(
            unit=code, name=snap.name, service_model=snap.service_model_code,
            version=version.version, effective_from=version.effective_from,
            attainment=rating.attainment, band=rating.band,
            criteria=tuple(pm.CriterionRow(
                key=c.key, label=c.label, expr=c.expr, direction=c.direction, method=c.method,
                weight=c.weight, target=c.target, floor=c.floor, bands=_bands_text(c.bands),
                actual=c.actual, score=c.score, note=c.note, explanation=c.explanation)
                for c in rating.results)))
    return tuple(sheets)


def _tree_codes(tree: dict[str, UnitTreeSnapshot]) -> list[str]:
    """Codes in tree order (depth first, children by code), like the Portfolio sheet."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code in sorted(tree):
        children[tree[code].parent_code].append(code)
    order, stack = [], list(reversed(children[None]))
    while stack:
        code = stack.pop()
        order.append(code)
        stack += list(reversed(children[code]))
    return order


def _bands_text(bands) -> str | None:
    if not bands:
        return None
    return "; ".join(f"{b['at']} -> {b['score']}" for b in bands)


def latest_pack(session: Session, period: str) -> PackFile | None:
    return session.scalar(select(PackFile).where(PackFile.period == period,
                                                 PackFile.kind == "final")
                          .order_by(PackFile.revision.desc()).limit(1))

