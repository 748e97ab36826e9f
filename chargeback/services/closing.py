"""The monthly close: allocate, rate, check, freeze, and hand over the pack.

Allocation comes first so every criterion may use what a unit charged. Everything the
close computes is written in the caller's transaction; the pack is written to a hidden
file and only renamed into place by ``ClosedPeriod.publish`` after the caller committed,
so a failure at any step leaves the month open, nothing stored and no pack.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from chargeback.models import (
    Charge,
    Consumer,
    CriterionResultRow,
    DriverQuantity,
    JournalLine,
    PackFile,
    Period,
    RateCard,
    Rating,
    Service,
    SpendLine,
    Unit,
    UnitPeriodResult,
    UnitTreeSnapshot,
    UsageLine,
)
from chargeback.services import allocation_rules, packs, scorecards
from chargeback.services import measures as measure_data
from chargeback.services.audit import record
from chargeback.services.periods import PeriodRefused
from chargeback.services.settings import frozen_for_close, thresholds
from rules import allocation
from rules import model as rm
from rules.scoring import attain

CHUNK = 10_000


class CloseRefused(Exception):
    """The data does not allow the close; ``errors`` says what, each naming its source."""

    def __init__(self, period: str, errors: list):
        self.period = period
        self.errors = [str(e) for e in errors]
        super().__init__(f"period {period} cannot be closed:\n" + "\n".join(self.errors))


@dataclass
class ClosedPeriod:
    """A close waiting for its commit: ``publish`` puts the pack where finance finds it."""

    period: str
    revision: int
    pack_path: Path
    pending_path: Path

    def publish(self) -> Path:
        os.replace(self.pending_path, self.pack_path)
        return self.pack_path

    def discard(self) -> None:
        self.pending_path.unlink(missing_ok=True)


@dataclass
class Inputs:
    """One period's data, as the rules layer takes it, plus the code <-> id maps."""

    units: list[rm.UnitLedger]
    consumers: list[rm.Consumer]
    services: list[rm.Service]
    prices: dict[str, Decimal]
    usage: list[rm.UsageLine]
    drivers: dict[tuple[str, str], Decimal]
    external_spend: Decimal
    unit_ids: dict[str, int]


def close_period(session: Session, period: str, actor: str, pack_dir: Path,
                 currency: str) -> ClosedPeriod:
    """Close ``period``; raise CloseRefused or PeriodRefused, with nothing changed."""
    row = _open_period(session, period)
    freeze_results(session, period, currency)
    kept = frozen_for_close(session, currency)
    row.currency, row.band_limits = currency, kept["band_limits"]
    row.status, row.closed_at, row.closed_by = "closed", dt.datetime.now(dt.UTC), actor
    row.close_count += 1
    record(session, actor, "period.close", "period", period, after={"close": row.close_count})
    session.flush()
    return _write_pack(session, period, row.close_count, pack_dir, currency, actor)


def _open_period(session: Session, period: str) -> Period:
    """The period's row, locked against a concurrent close (on PostgreSQL), if it is open."""
    row = session.scalar(select(Period).where(Period.period == period).with_for_update())
    if row is None:
        raise PeriodRefused(f"period {period} has no data: import its spend first")
    if row.status == "closed":
        raise PeriodRefused(f"period {period} is already closed; central IT may reopen it "
                            f"with `chargeback reopen {period} --reason ...`")
    if session.scalar(select(SpendLine.id).where(SpendLine.period == period).limit(1)) is None:
        raise PeriodRefused(f"period {period} has no spend yet: import its spend (and usage) "
                            "before closing it")
    return row


def freeze_results(session: Session, period: str, currency: str) -> None:
    """Allocate, check, store charges and journal, rate every unit, snapshot the tree."""
    inputs = gather(session, period)
    result = compute(period, inputs, currency)
    _clear_results(session, period)
    store(session, period, inputs, result)
    _rate_units(session, period, inputs)
    _snapshot_tree(session, period)
    session.flush()


def provisional_pack(session: Session, period: str, path: Path, currency: str):
    """A draft pack of an open month with the data so far; nothing of it is kept.

    The close's own steps run inside a savepoint that is rolled back once the workbook
    (marked provisional on every sheet) is written, so the draft shows exactly what a
    close would, and the month stays open and untouched.
    """
    _open_period(session, period)
    savepoint = session.begin_nested()
    try:
        freeze_results(session, period, currency)
        return packs.write(session, period, path, currency, status="provisional")
    finally:
        savepoint.rollback()


def compute(period: str, inputs: Inputs, currency: str):
    """Allocate and check: conservation and journal balance, or CloseRefused."""
    result, errors = allocation.allocate(period, inputs.units, inputs.consumers,
                                         inputs.services, inputs.prices, inputs.usage,
                                         inputs.drivers)
    if errors:
        raise CloseRefused(period, errors)
    errors = allocation.check_conservation(result, inputs.external_spend)
    journal, journal_errors = allocation.build_journal(period, result, inputs.units,
                                                       inputs.consumers, currency)
    errors += journal_errors + allocation.check_journal_balance(journal)
    if errors:
        raise CloseRefused(period, errors)
    return result, journal


def gather(session: Session, period: str) -> Inputs:
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    codes = {u.id: u.code for u in units}
    pools = measure_data.spend_by(session, SpendLine.cost_pool, period)
    ledgers = [rm.UnitLedger(code=u.code, billing_mode=u.billing_mode,
                             recovery_account=u.recovery_account,
                             spend_by_pool=pools.get(u.id, {}),
                             rules=allocation_rules.in_force(session, u.id, period))
               for u in units]
    consumers = [rm.Consumer(code=c.code, gl_account=c.gl_account,
                             unit=codes.get(c.unit_id) if c.unit_id else None)
                 for c in session.scalars(select(Consumer).order_by(Consumer.code))]
    services = [rm.Service(code=s.code, unit=codes[s.unit_id], uom=s.uom)
                for s in session.scalars(select(Service).order_by(Service.code))]
    return Inputs(
        units=ledgers, consumers=consumers, services=services,
        prices=prices_in_force(session, period), usage=_usage(session, period),
        drivers=_drivers(session, period),
        external_spend=sum((a for by in pools.values() for a in by.values()), Decimal("0.00")),
        unit_ids={u.code: u.id for u in units})


def prices_in_force(session: Session, period: str) -> dict[str, Decimal]:
    """Service code -> the latest price with effective_from <= period."""
    rows = session.execute(select(Service.code, RateCard.effective_from, RateCard.price)
                           .join(RateCard, RateCard.service_id == Service.id)
                           .where(RateCard.effective_from <= period)
                           .order_by(Service.code, RateCard.effective_from))
    return {code: price for code, _, price in rows}


def _usage(session: Session, period: str) -> list[rm.UsageLine]:
    rows = session.execute(
        select(Consumer.code, Service.code, UsageLine.quantity)
        .join(Consumer, Consumer.id == UsageLine.consumer_id)
        .join(Service, Service.id == UsageLine.service_id)
        .where(UsageLine.period == period).order_by(UsageLine.id)).yield_per(CHUNK)
    shared: dict[str, str] = {}  # one string object per code, not one per line
    return [rm.UsageLine(consumer=shared.setdefault(c, c), service=shared.setdefault(s, s),
                         quantity=q) for c, s, q in rows]


def _drivers(session: Session, period: str) -> dict[tuple[str, str], Decimal]:
    rows = session.execute(select(DriverQuantity.driver, Consumer.code, DriverQuantity.quantity)
                           .join(Consumer).where(DriverQuantity.period == period))
    return {(driver, code): quantity for driver, code, quantity in rows}


def _clear_results(session: Session, period: str) -> None:
    """A close after a reopening replaces what the earlier close stored."""
    ratings = select(Rating.id).where(Rating.period == period)
    session.execute(delete(CriterionResultRow).where(CriterionResultRow.rating_id.in_(ratings)))
    for model in (Rating, Charge, JournalLine, UnitPeriodResult, UnitTreeSnapshot):
        session.execute(delete(model).where(model.period == period))


def store(session: Session, period: str, inputs: Inputs, result) -> None:
    allocated, journal = result
    ids = inputs.unit_ids
    consumer_ids = dict(session.execute(select(Consumer.code, Consumer.id)).all())
    service_ids = dict(session.execute(select(Service.code, Service.id)).all())
    rows = []
    for charge in allocated.charges:
        rows.append({"period": period, "unit_id": ids[charge.unit],
                     "consumer_id": consumer_ids[charge.consumer],
                     "service_id": service_ids.get(charge.service), "method": charge.method,
                     "basis": charge.basis, "quantity": charge.quantity, "rate": charge.rate,
                     "amount": charge.amount})
        if len(rows) >= CHUNK:
            session.execute(insert(Charge.__table__), rows)
            rows = []
    if rows:
        session.execute(insert(Charge.__table__), rows)
    if journal:
        session.execute(insert(JournalLine), [
            {"journal": j.journal, "period": period, "unit_id": ids[j.unit],
             "account": j.account, "consumer_id": consumer_ids.get(j.consumer),
             "description": j.description, "debit": j.debit, "credit": j.credit,
             "currency": j.currency} for j in journal])
    budgets = measure_data.budgets(session, period)
    session.execute(insert(UnitPeriodResult), [
        {"period": period, "unit_id": ids[t.unit], "spend": t.spend,
         "internal_received": t.internal_received, "budget": budgets.get(ids[t.unit]),
         "charged": t.charged, "absorbed": t.absorbed}
        for t in allocated.totals.values()])


def _rate_units(session: Session, period: str, inputs: Inputs) -> None:
    """Rate every unit with a scorecard in force, against that scorecard only, with the
    measures of the results just stored (so a preview later sees exactly the same)."""
    limits = thresholds(session)
    for unit in inputs.units:
        unit_id = inputs.unit_ids[unit.code]
        version = scorecards.in_force(session, unit_id, period)
        if version is None:
            continue
        measures = measure_data.for_unit(session, unit_id, period)
        rating = attain(scorecards.to_rules(version, unit.code), measures, limits)
        _store_rating(session, period, unit_id, version.id, rating)


def _store_rating(session: Session, period: str, unit_id: int, version_id: int,
                  rating: rm.Rating) -> None:
    session.add(Rating(
        period=period, unit_id=unit_id, scorecard_version_id=version_id,
        attainment=rating.attainment, band=rating.band,
        results=[CriterionResultRow(
            position=i, key=r.key, label=r.label, expr=r.expr, direction=r.direction,
            method=r.method, weight=r.weight, target=r.target, floor=r.floor,
            bands=[{"at": str(b.at), "score": str(b.score)} for b in r.bands] or None,
            actual=r.actual, score=r.score, note=r.note, explanation=r.explanation)
            for i, r in enumerate(rating.results, start=1)]))


def _snapshot_tree(session: Session, period: str) -> None:
    """Keep the tree as it stands at the close, so a later move leaves this month alone."""
    units = list(session.scalars(select(Unit)))
    codes = {u.id: u.code for u in units}
    session.execute(insert(UnitTreeSnapshot), [
        {"period": period, "unit_code": u.code, "parent_code": codes.get(u.parent_id),
         "name": u.name, "service_model_code": u.service_model_code,
         "billing_mode": u.billing_mode} for u in units])


def _write_pack(session: Session, period: str, revision: int, pack_dir: Path, currency: str,
                actor: str) -> ClosedPeriod:
    pack_dir.mkdir(parents=True, exist_ok=True)
    final = pack_dir / packs.pack_filename(period, revision)
    pending = pack_dir / f".{final.name}.pending"
    written = packs.write(session, period, pending, currency)
    try:
        session.add(PackFile(period=period, kind="final", revision=revision, path=str(final),
                             sha256=written.sha256, created_by=actor))
        session.flush()
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    return ClosedPeriod(period=period, revision=revision, pack_path=final, pending_path=pending)


def reopen_period(session: Session, period: str, reason: str, actor: str) -> Period:
    """Open a closed month again for corrections; who and why go in the audit log."""
    row = session.get(Period, period)
    if row is None or row.status != "closed":
        raise PeriodRefused(f"period {period} is not closed")
    if not reason or not reason.strip():
        raise PeriodRefused("a reason is required to reopen a period")
    row.status = "open"
    record(session, actor, "period.reopen", "period", period, before={"status": "closed"},
           after={"status": "open"}, reason=reason.strip())
    session.flush()
    return row
