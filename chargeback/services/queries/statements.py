"""Consumer statements: what each consumer (cost center) was charged in a month.

Read only from what the close froze: the month's charge lines joined to its consumer and
tree snapshots (the consumer's code, name, GL account and unit, and each provider's
billing mode, as they stood at the close). ``Billed`` is what chargeback units charged,
``Showback`` what showback units computed. The sums are made by the database, in whole
cents (``sql.cents_sum``). The previous month's totals are the ones its close kept
(``ConsumerFigures``, per revision) as they stood when this month closed: a previous month
reopened or closed again later changes nothing in this month's statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from chargeback.models import (
    Charge,
    ConsumerFigures,
    ConsumerSnapshot,
    Period,
    ServiceSnapshot,
    UnitTreeSnapshot,
)
from chargeback.services.queries.history import close_moment, kept_by
from chargeback.services.queries.sql import cents_sum, from_cents
from chargeback.services.queries.tree import plausible_code
from chargeback.vocabulary import PERIOD_CLOSED
from reports import model as pm
from reports.model import StatementLine
from rules.vocabulary import month_before

ZERO = Decimal("0.00")
SHOWBACK = "showback"
STREAM_CHUNK = 10_000


@dataclass(frozen=True, kw_only=True)
class Consumer:
    """A consumer as it stood at the close (``unit``: the unit it is, if it is one)."""

    consumer_id: int
    code: str
    name: str
    gl_account: str
    unit: str | None


@dataclass(frozen=True, kw_only=True)
class Totals:
    """A consumer's statement in figures: billed, showback, and the previous month's."""

    consumer: Consumer
    billed: Decimal
    showback: Decimal
    prior_total: Decimal | None  # None: the previous month is not closed or lacks it

    @property
    def total(self) -> Decimal:
        return self.billed + self.showback

    @property
    def change(self) -> Decimal | None:
        return None if self.prior_total is None else self.total - self.prior_total


def _consumer(row: ConsumerSnapshot) -> Consumer:
    return Consumer(consumer_id=row.consumer_id, code=row.code, name=row.name,
                    gl_account=row.gl_account, unit=row.unit_code)


def _snapshot(period: str, units: set[str] | None):
    query = select(ConsumerSnapshot).where(ConsumerSnapshot.period == period)
    if units is not None:
        query = query.where(ConsumerSnapshot.unit_code.in_(units))
    return query


def consumers(session: Session, period: str, units: set[str] | None = None) -> list[Consumer]:
    """The month's consumers as its close froze it, by code (code-point order, the same on
    every database); ``units``: only the consumers that were one of these units."""
    found = [_consumer(c) for c in session.scalars(_snapshot(period, units))]
    return sorted(found, key=lambda c: c.code)


def consumer(session: Session, period: str, code: str) -> Consumer | None:
    """One consumer of the month by its code at the close (None: the month had none; a
    code no consumer could have, with a NUL say, is not even looked up)."""
    if not plausible_code(code):
        return None
    row = session.scalar(select(ConsumerSnapshot).where(ConsumerSnapshot.period == period,
                                                        ConsumerSnapshot.code == code))
    return None if row is None else _consumer(row)


def _ids(period: str, units: set[str] | None):
    """The ids of the month's consumers (that were one of ``units``), as a subquery."""
    return _snapshot(period, units).with_only_columns(ConsumerSnapshot.consumer_id)


def _sums(session: Session, period: str, ids) -> dict[int, tuple[Decimal, Decimal]]:
    """consumer id -> (billed, showback) of the month, summed by the database; ``ids``:
    only these consumers (a subquery), None: all."""
    query = (select(Charge.consumer_id, UnitTreeSnapshot.billing_mode, cents_sum(Charge.amount))
             .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == Charge.period,
                                          UnitTreeSnapshot.unit_id == Charge.unit_id))
             .where(Charge.period == period)
             .group_by(Charge.consumer_id, UnitTreeSnapshot.billing_mode))
    if ids is not None:
        query = query.where(Charge.consumer_id.in_(ids))
    sums: dict[int, tuple[Decimal, Decimal]] = {}
    for consumer_id, mode, cents in session.execute(query):
        billed, showback = sums.get(consumer_id, (ZERO, ZERO))
        if mode == SHOWBACK:
            showback += from_cents(cents)
        else:
            billed += from_cents(cents)
        sums[consumer_id] = (billed, showback)
    return sums


def prior_closed(session: Session, period: str) -> str | None:
    """The previous month, if its totals are shown beside this month's (it had closed when
    this month closed; for an open month, it is closed now)."""
    return prior_totals(session, period)[0]


def prior_totals(session: Session, period: str) -> tuple[str | None, dict[int, Decimal]]:
    """(the previous month, consumer id -> its total) as the previous month's close kept
    them when this month closed; (None, {}) when it had not closed by then."""
    prior = month_before(period)
    moment = _closed_at(session, period)
    kept = [(revision, at) for revision, at in session.execute(
        select(ConsumerFigures.revision, ConsumerFigures.computed_at)
        .where(ConsumerFigures.period == prior).distinct())]
    eligible = [revision for revision, at in kept if kept_by(at, moment)]
    if eligible:
        rows = session.execute(select(ConsumerFigures.consumer_id, ConsumerFigures.billed,
                                      ConsumerFigures.showback)
                               .where(ConsumerFigures.period == prior,
                                      ConsumerFigures.revision == max(eligible)))
        return prior, {consumer_id: billed + showback for consumer_id, billed, showback in rows}
    status = session.scalar(select(Period.status).where(Period.period == prior))
    if kept or status != PERIOD_CLOSED:
        return None, {}
    # A month closed before its totals were kept: read from its frozen charges.
    sums = _sums(session, prior, None)
    return prior, {consumer_id: sum(sums.get(consumer_id, (ZERO, ZERO)), ZERO)
                   for consumer_id in session.scalars(_ids(prior, None))}


def month_totals(session: Session, period: str) -> dict[int, tuple[Decimal, Decimal]]:
    """consumer id -> (billed, showback) for every consumer of the month (the close keeps
    them: ``closing.keep_figures``)."""
    sums = _sums(session, period, None)
    return {c.consumer_id: sums.get(c.consumer_id, (ZERO, ZERO))
            for c in consumers(session, period)}


def _closed_at(session: Session, period: str) -> dt.datetime | None:
    row = session.get(Period, period)
    return None if row is None else close_moment(row.status, row.computed_at)



def totals(session: Session, period: str, units: set[str] | None = None) -> list[Totals]:
    """Every consumer of the month with its billed, showback and prior totals, by code;
    ``units``: only the consumers that were (at the close) one of these units (a unit
    head's scope, a unit's page). Five queries, whatever the number of consumers and lines.
    """
    ids = None if units is None else _ids(period, units)
    now = _sums(session, period, ids)
    _, before = prior_totals(session, period)
    found = []
    for c in consumers(session, period, units):
        billed, showback = now.get(c.consumer_id, (ZERO, ZERO))
        found.append(Totals(consumer=c, billed=billed, showback=showback,
                            prior_total=before.get(c.consumer_id)))
    return found


def pack_rows(session: Session, period: str) -> tuple[pm.StatementRow, ...]:
    """The pack's Statements sheet: one row per consumer of the month, by code."""
    return tuple(pm.StatementRow(consumer=t.consumer.code, name=t.consumer.name,
                                 gl_account=t.consumer.gl_account, billed=t.billed,
                                 showback=t.showback, prior_total=t.prior_total)
                 for t in totals(session, period))


def _lines_query(period: str):
    return (select(Charge.id, Charge.consumer_id, UnitTreeSnapshot.unit_code,
                   UnitTreeSnapshot.name, ServiceSnapshot.code, ServiceSnapshot.name,
                   Charge.method, Charge.basis, Charge.quantity, Charge.rate, Charge.amount,
                   UnitTreeSnapshot.billing_mode)
            .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == Charge.period,
                                         UnitTreeSnapshot.unit_id == Charge.unit_id))
            .outerjoin(ServiceSnapshot, and_(ServiceSnapshot.period == Charge.period,
                                             ServiceSnapshot.service_id == Charge.service_id))
            .where(Charge.period == period))


def _line(row) -> tuple[tuple, StatementLine]:
    (charge_id, _, unit, unit_name, service, service_name, method, basis, quantity, rate,
     amount, mode) = row
    key = (unit, service is None, service or "", charge_id)
    return key, StatementLine(unit=unit, unit_name=unit_name, service=service,
                              service_name=service_name, method=method, basis=basis,
                              quantity=quantity, rate=rate, amount=amount, billing_mode=mode)


def _ordered(rows) -> tuple[StatementLine, ...]:
    """By providing unit code, then service code (driver and fixed splits after the
    services), then in the order the close stored them."""
    return tuple(line for _, line in sorted((_line(r) for r in rows), key=lambda x: x[0]))


def lines(session: Session, period: str, consumer_id: int) -> tuple[StatementLine, ...]:
    """Every charge line of the month to one consumer, by unit and service."""
    return _ordered(session.execute(_lines_query(period)
                                    .where(Charge.consumer_id == consumer_id)))


def lines_by_consumer(session: Session, period: str
                      ) -> Iterator[tuple[int, tuple[StatementLine, ...]]]:
    """(consumer id, its lines) for every consumer charged in the month, read in chunks:
    one consumer's lines are held at a time, never the month's."""
    query = (_lines_query(period).order_by(Charge.consumer_id, Charge.id)
             .execution_options(yield_per=STREAM_CHUNK))
    rows = session.connection().execute(query)
    for consumer_id, group in groupby(rows, key=lambda r: r[1]):
        yield consumer_id, _ordered(group)
