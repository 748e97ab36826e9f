"""The monthly close: allocate, rate, check, freeze, seal, and write the pack to publish.

Allocation comes first so every criterion may use what a unit charged. The close freezes
everything a closed month is read from: charges, journal, each unit's money (with its spend
by pool and tower and the internal charges it made), the ratings with their criteria, and
snapshots of the tree, the consumers and the services (with the price in force) as they
stand, and the services' dependencies (its service chains). It seals the month (``seal``) and writes its pack to a hidden pending file. All of
it happens in the caller's transaction, and the month is then ``publishing``: frozen for
every writer, not yet closed for readers. ``publication.publish`` renames the pack into
place after the commit and only then marks the month closed; a failure at any step before
the commit leaves the month open, nothing stored and no pack.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, literal, select, union_all
from sqlalchemy.orm import Session

from chargeback.bulk_write import write_rows
from chargeback.failpoints import failpoint
from chargeback.models import (
    Charge,
    Consumer,
    ConsumerFigures,
    ConsumerSnapshot,
    CriterionResultRow,
    DriverQuantity,
    InternalCharge,
    JournalLine,
    OfferingSnapshot,
    PackFile,
    Period,
    PortfolioFigures,
    Rating,
    Service,
    ServiceDependency,
    ServiceDependencySnapshot,
    ServiceSnapshot,
    SpendLine,
    Unit,
    UnitPeriodResult,
    UnitPeriodSpend,
    UnitTreeSnapshot,
    UsageTotal,
    VariabilitySnapshot,
)
from chargeback.models.audit import record
from chargeback.models.periods import lock_reference
from chargeback.refusals import Conflict
from chargeback.services import allocation_rules, packs, scorecards, seal, settings
from chargeback.services import measures as measure_data
from chargeback.services.periods import PeriodRefused, lock_period
from chargeback.services.queries import (
    closed_month,
    portfolio,
    service_levels,
    statements,
    variability,
)
from chargeback.services.queries.catalog import prices_in_force
from chargeback.services.queries.sql import from_micros
from chargeback.services.queries.tree import service_model_names
from chargeback.vocabulary import PERIOD_CLOSED, PERIOD_OPEN, PERIOD_PUBLISHING
from rules import allocation
from rules import model as rm
from rules.scoring import attain
from rules.vocabulary import VENTURE

ZERO = Decimal("0.00")


class CloseRefused(Conflict):
    """The data does not allow the close; each problem names its unit, service or rule."""

    def __init__(self, period: str, errors: list):
        self.period = period
        super().__init__(*errors, kind="close")

    def __str__(self) -> str:
        return f"period {self.period} cannot be closed:\n" + "\n".join(self.messages)


@dataclass(frozen=True)
class Publication:
    """A close waiting for its commit; ``publication.publish`` then puts the pack in place."""

    period: str
    revision: int
    pack_path: Path
    pending_path: Path

    def discard(self) -> None:
        self.pending_path.unlink(missing_ok=True)


@dataclass
class Inputs:
    """One period's data, as the rules layer takes it, plus the code <-> id maps."""

    units: list[rm.UnitLedger]
    consumers: list[rm.Consumer]
    services: list[rm.Service]
    prices: dict[str, Decimal]
    usage: allocation.UsageTotals
    drivers: dict[tuple[str, str], Decimal]
    external_spend: Decimal
    unit_ids: dict[str, int]
    consumer_ids: dict[str, int]
    service_ids: dict[str, int]
    pools: dict[int, dict[str, Decimal]]
    towers: dict[int, dict[str, Decimal]]
    # The rows the allocation was computed from, which the snapshots keep: one state.
    snapshot_rows: dict[str, list[dict]]


def pending_path(final: Path) -> Path:
    """Where a pack waits, hidden, until its close is committed."""
    return final.with_name(f".{final.name}.pending")


def close_period(session: Session, period: str, actor: str, pack_dir: Path,
                 default_currency: str) -> Publication:
    """Freeze ``period`` and write its pack, pending; raise CloseRefused or PeriodRefused."""
    row = _open_period(session, period)
    currency = settings.currency(session, default_currency)
    limits = settings.thresholds(session)
    freeze_results(session, period, currency, limits)
    row.currency, row.band_limits = currency, settings.limits_to_store(limits)
    row.fiscal_year_start = settings.fiscal_year_start(session)
    row.status, row.computed_at, row.closed_by = PERIOD_PUBLISHING, _now(), actor
    row.close_count += 1
    session.flush()
    keep_figures(session, row, default_currency)
    seal.seal_month(session, period, row.close_count)
    return _write_pending_pack(session, period, row.close_count, pack_dir, actor,
                               default_currency)


def keep_figures(session: Session, row: Period, default_currency: str) -> None:
    """Keep this close's Portfolio figures and consumer totals under its revision: later
    months read their history (prior month, year to date, trend, statements' prior totals)
    from them, and the next revision of this month lists what it changed against them
    (``queries.history``, ``queries.statements``)."""
    rows, _ = portfolio.rows(closed_month.load(session, row.period, default_currency))
    # A close whose publication was undone (its pack lost) left rows under this revision
    # number, which is used again: they were never published, so they go.
    session.execute(delete(PortfolioFigures).where(
        PortfolioFigures.period == row.period, PortfolioFigures.revision == row.close_count))
    session.execute(delete(ConsumerFigures).where(
        ConsumerFigures.period == row.period, ConsumerFigures.revision == row.close_count))
    session.add_all(ConsumerFigures(
        period=row.period, revision=row.close_count, computed_at=row.computed_at,
        consumer_id=consumer_id, billed=billed, showback=showback)
        for consumer_id, (billed, showback) in statements.month_totals(
            session, row.period).items())
    session.add_all(PortfolioFigures(
        period=row.period, revision=row.close_count, computed_at=row.computed_at,
        unit_code=r.unit, parent_code=r.parent, name=r.name, is_group=r.is_group,
        service_model_code=r.service_model, spend=r.spend, budget=r.budget,
        charged=r.charged, showback=r.showback, attainment=r.attainment, band=r.band)
        for r in rows)
    session.flush()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_period(session: Session, period: str, *, lock: bool = True) -> Period:
    """The period's row, if it is open; locked (with the reference data, exclusively)
    against a concurrent close, import or change of the units, consumers, services, rates,
    scorecards or rules the close reads. A provisional draft (``lock`` off) shares the
    reference lock instead: it waits for a running close (and then sees the month frozen)
    and a close waits for it, but imports into the month go on."""
    if lock:
        lock_reference(session, exclusive=True)
        row = lock_period(session, period)
    else:
        lock_reference(session)
        row = session.scalar(select(Period).where(Period.period == period)
                             .execution_options(populate_existing=True))
    if row is None:
        raise PeriodRefused(f"period {period} has no data: import its spend first")
    if row.status != PERIOD_OPEN:
        raise PeriodRefused(f"period {period} is already closed; central IT may reopen it "
                            f"with `chargeback reopen {period} --reason ...`")
    if session.scalar(select(SpendLine.id).where(SpendLine.period == period).limit(1)) is None:
        raise PeriodRefused(f"period {period} has no spend yet: import its spend (and usage) "
                            "before closing it")
    return row


def freeze_results(session: Session, period: str, currency: str,
                   limits: rm.BandThresholds) -> None:
    """Allocate, check, store what the month is read from, snapshot, rate every unit.

    The garbage collector is paused meanwhile: the close makes tens of thousands of small
    objects that all live until it ends (Decimals, the rules' results, rows to write), and
    the collections they set off found nothing to free and cost a tenth of the close."""
    with _gc_paused():
        _freeze(session, period, currency, limits)


@contextmanager
def _gc_paused() -> Iterator[None]:
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _freeze(session: Session, period: str, currency: str, limits: rm.BandThresholds) -> None:
    inputs = gather(session, period)
    failpoint("close.after-gather")
    result = compute(period, inputs, currency)
    clear_results(session, period)
    store(session, period, inputs, result)
    snapshot(session, period, inputs)
    _rate_units(session, period, inputs, limits)
    session.flush()


def provisional_pack(session: Session, period: str, path: Path, default_currency: str):
    """A draft pack of an open month with the data so far; nothing of it is kept.

    The close's own steps run inside a savepoint that is rolled back once the workbook
    (marked provisional on every sheet) is written, so the draft shows exactly what a
    close would, and the month stays open and untouched.
    """
    _open_period(session, period, lock=False)  # a draft: nothing of it is kept, see above
    savepoint = session.begin_nested()
    try:
        freeze_results(session, period, settings.currency(session, default_currency),
                       settings.thresholds(session))
        return packs.write(session, period, path, default_currency, status="provisional")
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
    """The month's data as the rules take it, read once: the snapshots keep these rows."""
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    codes = {u.id: u.code for u in units}
    pools = measure_data.spend_by(session, SpendLine.cost_pool, period)
    rules = allocation_rules.every_in_force(session, period)
    ledgers = [rm.UnitLedger(code=u.code, billing_mode=u.billing_mode,
                             recovery_account=u.recovery_account,
                             spend_by_pool=pools.get(u.id, {}), rules=rules.get(u.id, ()))
               for u in units]
    consumer_rows = list(session.scalars(select(Consumer).order_by(Consumer.code)))
    consumers = [rm.Consumer(code=c.code, gl_account=c.gl_account,
                             unit=codes.get(c.unit_id) if c.unit_id else None)
                 for c in consumer_rows]
    services = list(session.scalars(select(Service).order_by(Service.code)))
    prices = prices_in_force(session, period)
    return Inputs(
        units=ledgers, consumers=consumers,
        services=[rm.Service(code=s.code, unit=codes[s.unit_id], uom=s.uom) for s in services],
        prices={s.code: prices[s.id].price for s in services if s.id in prices},
        usage=_usage(session, period, {c.id: c.code for c in consumer_rows},
                     {s.id: s.code for s in services}),
        drivers=_drivers(session, period),
        external_spend=sum((a for by in pools.values() for a in by.values()), ZERO),
        unit_ids={u.code: u.id for u in units},
        consumer_ids={c.code: c.id for c in consumer_rows},
        service_ids={s.code: s.id for s in services}, pools=pools,
        towers=measure_data.spend_by(session, SpendLine.tower, period),
        snapshot_rows=_snapshot_rows(period, codes, units, consumer_rows, services, prices,
                                     service_model_names(session),
                                     variability.stated(session, (s.id for s in services)),
                                     service_levels.owner_emails(session))
        | {"offerings": service_levels.snapshot_rows(session, period),
           "dependencies": _dependency_rows(session, period, services)})


def _snapshot_rows(period: str, codes: dict[int, str], units, consumers, services, prices,
                   models: dict[str, str], said: dict,
                   owners: dict[int, str]) -> dict[str, list[dict]]:
    """The tree, the consumers and the services (with the price in force and the owner) as
    they are read for the allocation, and each service's stance on each kind of variability
    (``said``: the units' statements, over their templates' proposals), in the snapshots'
    columns."""
    rows = {
        "tree": [{"period": period, "unit_id": u.id, "unit_code": u.code,
                  "parent_code": codes.get(u.parent_id), "name": u.name,
                  "service_model_code": u.service_model_code,
                  "service_model_name": models.get(u.service_model_code,
                                                   u.service_model_code),
                  "billing_mode": u.billing_mode} for u in units],
        "consumers": [{"period": period, "consumer_id": c.id, "code": c.code, "name": c.name,
                       "gl_account": c.gl_account, "unit_code": codes.get(c.unit_id)}
                      for c in consumers],
        "services": [{"period": period, "service_id": s.id, "code": s.code,
                      "unit_code": codes[s.unit_id], "name": s.name, "uom": s.uom,
                      "price": prices[s.id].price if s.id in prices else None,
                      "price_from": prices[s.id].effective_from if s.id in prices else None,
                      "owner_email": owners.get(s.id)}
                     for s in services]}
    rows["variability"] = variability.snapshot_rows(
        period, rows["services"], {u.code: u.service_model_code for u in units}, said)
    return rows


def _dependency_rows(session: Session, period: str, services) -> list[dict]:
    """The service dependencies as they stand (``models.chains``), in the snapshot's
    columns: a closed month's chain is read from these."""
    codes = {s.id: s.code for s in services}
    rows = session.execute(select(ServiceDependency.service_id, ServiceDependency.upstream_id)
                           .order_by(ServiceDependency.service_id,
                                     ServiceDependency.upstream_id))
    return [{"period": period, "service_id": sid, "upstream_id": uid,
             "service_code": codes[sid], "upstream_code": codes[uid]} for sid, uid in rows]


def _usage(session: Session, period: str, consumers: dict[int, str],
           services: dict[int, str]) -> allocation.UsageTotals:
    """The month's usage summed per consumer and service, as the imports keep it
    (``usage_totals``, a few thousand rows): the rules rate each pair once, and the close
    never reads the month's usage lines (millions of them). Handed to the rules as the
    sums they are, keyed by codes, with no object per pair (and read through the Core
    connection: the ORM's row wrapping was a third of this step's time)."""
    rows = session.connection().execute(
        select(UsageTotal.consumer_id, UsageTotal.service_id, UsageTotal.quantity_micros)
        .where(UsageTotal.period == period)).all()
    return {(consumers[c], services[s]): from_micros(q) for c, s, q in rows}


def _drivers(session: Session, period: str) -> dict[tuple[str, str], Decimal]:
    rows = session.execute(select(DriverQuantity.driver, Consumer.code, DriverQuantity.quantity)
                           .join(Consumer).where(DriverQuantity.period == period))
    return {(driver, code): quantity for driver, code, quantity in rows}


FROZEN_TABLES = (Rating, Charge, JournalLine, UnitPeriodResult, UnitPeriodSpend,
                 InternalCharge, UnitTreeSnapshot, ConsumerSnapshot, ServiceSnapshot,
                 VariabilitySnapshot, OfferingSnapshot, ServiceDependencySnapshot)
"""Every table a close writes for its month (criterion results go with their ratings)."""


def clear_results(session: Session, period: str) -> None:
    """A close after a reopening (or an undone publication) replaces what was stored."""
    ratings = select(Rating.id).where(Rating.period == period)
    session.execute(delete(CriterionResultRow).where(CriterionResultRow.rating_id.in_(ratings)))
    for model in FROZEN_TABLES:
        session.execute(delete(model).where(model.period == period))


CHARGE_COLUMNS = ("period", "unit_id", "consumer_id", "service_id", "method", "basis",
                  "quantity", "rate", "amount", "pool", "driver", "percent")
JOURNAL_COLUMNS = ("journal", "period", "unit_id", "account", "consumer_id", "description",
                   "debit", "credit", "currency")


def store(session: Session, period: str, inputs: Inputs, result) -> None:
    """Charges, journal, each unit's money, its spend by pool and tower, internal charges."""
    allocated, journal = result
    ids, consumer_ids, service_ids = inputs.unit_ids, inputs.consumer_ids, inputs.service_ids
    write_rows(session, Charge.__table__, CHARGE_COLUMNS, (
        (period, ids[c.unit], consumer_ids[c.consumer], service_ids.get(c.service), c.method,
         c.basis, c.quantity, c.rate, c.amount, c.pool, c.driver, c.percent)
        for c in allocated.charges))
    write_rows(session, JournalLine.__table__, JOURNAL_COLUMNS, (
        (j.journal, period, ids[j.unit], j.account, consumer_ids.get(j.consumer),
         j.description, j.debit, j.credit, j.currency) for j in journal))
    check_references(session, period)
    consumer_unit = {c.code: c.unit for c in inputs.consumers}
    external: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for charge in allocated.charges:
        if consumer_unit.get(charge.consumer) is None:
            external[charge.unit] += charge.amount
    budgets = measure_data.budgets(session, period)
    envelopes = _envelopes(session, period, inputs, allocated.totals.values())
    _write_dicts(session, UnitPeriodResult, [
        {"period": period, "unit_id": ids[t.unit], "spend": t.spend,
         "internal_received": t.internal_received, "budget": budgets.get(ids[t.unit]),
         "charged": t.charged, "charged_external": external[t.unit], "absorbed": t.absorbed,
         "envelope": envelopes[ids[t.unit]].total if ids[t.unit] in envelopes else None,
         "envelope_spent": envelopes[ids[t.unit]].spent if ids[t.unit] in envelopes else None}
        for t in allocated.totals.values()])
    internal = [{"period": period, "provider_id": ids[a], "receiver_id": ids[b],
                 "amount": amount} for a, b, amount in allocated.internal]
    _write_dicts(session, InternalCharge, internal)
    spend = [{"period": period, "unit_id": unit_id, "dimension": dimension, "code": code,
              "amount": amount}
             for dimension, by_unit in (("pool", inputs.pools), ("tower", inputs.towers))
             for unit_id, amounts in sorted(by_unit.items())
             for code, amount in sorted(amounts.items())]
    _write_dicts(session, UnitPeriodSpend, spend)


def _write_dicts(session: Session, model, rows: list[dict]) -> None:
    """Rows of one shape (dicts with the same keys) in one go (``bulk_write``): a COPY on
    PostgreSQL, where an executemany is a statement per row, each row's parameters
    processed by SQLAlchemy first (the close's few hundred snapshot and spend rows)."""
    if rows:
        columns = tuple(rows[0])
        write_rows(session, model.__table__, columns,
                   (tuple(row[column] for column in columns) for row in rows))


def _envelopes(session: Session, period: str, inputs: Inputs, totals) -> dict:
    """The funding envelopes of the month's ventures (``measures.envelopes``)."""
    ventures = {row["unit_id"] for row in inputs.snapshot_rows["tree"]
                if row["service_model_code"] == VENTURE}
    this_month = {inputs.unit_ids[t.unit]: t.spend for t in totals
                  if inputs.unit_ids[t.unit] in ventures}
    return measure_data.envelopes(session, period, settings.fiscal_year_start(session),
                                  this_month)


def check_references(session: Session, period: str) -> None:
    """Every charge and journal line of the month names a unit, consumer and service
    that exists: what foreign keys would check line by line (charges and journal lines
    have none, so that a month's lines are written at bulk speed), in one set difference
    each, the five in one statement (one round trip). Not an anti-join (``NOT EXISTS``):
    the lines were just written and have no statistics yet, and PostgreSQL then planned it
    as a nested loop over every pair of line and consumer (0.3-0.7 s for a month of 27,000
    charges and 500 consumers, a fifth of a million-line close); ``EXCEPT`` is hashed or
    sorted whatever the estimate."""
    checks = (
        (Charge, Charge.unit_id, Unit.id), (Charge, Charge.consumer_id, Consumer.id),
        (Charge, Charge.service_id, Service.id), (JournalLine, JournalLine.unit_id, Unit.id),
        (JournalLine, JournalLine.consumer_id, Consumer.id))
    missing = []
    for number, (model, column, key) in enumerate(checks):
        named = select(column).where(model.period == period, column.is_not(None))
        left = named.except_(select(key)).subquery()
        missing.append(select(literal(number).label("check"), left.c[0].label("id")))
    found = session.execute(union_all(*missing).order_by("check").limit(1)).first()
    if found is not None:
        model, column, _ = checks[found.check]
        raise CloseRefused(period, [rm.RuleError(
            source=f"period {period}", field=column.key,
            message=f"{model.__tablename__} name {column.key} {found.id}, which does "
                    "not exist")])


SNAPSHOTS = {"tree": UnitTreeSnapshot, "consumers": ConsumerSnapshot,
             "services": ServiceSnapshot, "variability": VariabilitySnapshot,
             "offerings": OfferingSnapshot, "dependencies": ServiceDependencySnapshot}


def snapshot(session: Session, period: str, inputs: Inputs) -> None:
    """Keep the tree, the consumers, the services (with the price in force and the owner),
    their offerings and service level targets, the services' stances on variability and
    their dependencies as the close read them: a later move, rename, new rate, new owner,
    new target, new statement or dependency leaves this month alone."""
    for name, model in SNAPSHOTS.items():
        _write_dicts(session, model, inputs.snapshot_rows[name])


def _rate_units(session: Session, period: str, inputs: Inputs,
                limits: rm.BandThresholds) -> None:
    """Rate every unit with a scorecard in force, against that scorecard only, with the
    measures of the results just stored (so a preview later sees exactly the same).

    The scorecards are read first, all at once: no query runs between two ratings, so
    the session flushes them together at the end (a query per unit, each flushing the
    rating before it, was a fifth of a close's statements)."""
    session.flush()
    month = measure_data.for_month(session, period)
    versions = scorecards.all_in_force(session, period)
    for unit in inputs.units:
        unit_id = inputs.unit_ids[unit.code]
        version = versions.get(unit_id)
        if version is None:
            continue
        rating = attain(scorecards.to_rules(version, unit.code), month.of(unit_id), limits)
        _store_rating(session, period, unit_id, version, rating)


def _store_rating(session: Session, period: str, unit_id: int, version,
                  rating: rm.Rating) -> None:
    session.add(Rating(
        period=period, unit_id=unit_id, scorecard_version_id=version.id,
        scorecard_version=version.version, scorecard_from=version.effective_from,
        attainment=rating.attainment, band=rating.band,
        results=[CriterionResultRow(
            position=i, key=r.key, label=r.label, expr=r.expr, direction=r.direction,
            method=r.method, weight=r.weight, target=r.target, floor=r.floor,
            bands=[{"at": str(b.at), "score": str(b.score)} for b in r.bands] or None,
            actual=r.actual, score=r.score, note=r.note, explanation=r.explanation)
            for i, r in enumerate(rating.results, start=1)]))


def _write_pending_pack(session: Session, period: str, revision: int, pack_dir: Path,
                        actor: str, default_currency: str) -> Publication:
    pack_dir.mkdir(parents=True, exist_ok=True)
    final = pack_dir / packs.pack_filename(period, revision)
    pending = pending_path(final)
    written = packs.write(session, period, pending, default_currency)
    try:
        session.add(PackFile(period=period, kind="final", revision=revision, path=str(final),
                             sha256=written.sha256, created_by=actor))
        session.flush()
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    return Publication(period=period, revision=revision, pack_path=final, pending_path=pending)


def reopen_period(session: Session, period: str, reason: str, actor: str) -> Period:
    """Open a closed month again for corrections; who and why go in the audit log."""
    row = lock_period(session, period)
    if row is None or row.status != PERIOD_CLOSED:
        raise PeriodRefused(f"period {period} is not closed")
    if not reason or not reason.strip():
        raise PeriodRefused("a reason is required to reopen a period")
    row.status = PERIOD_OPEN
    record(session, actor, "period.reopen", "period", period, before={"status": "closed"},
           after={"status": "open"}, reason=reason.strip())
    session.flush()
    return row
