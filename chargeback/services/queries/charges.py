"""A closed month's charge lines: one query for every reader, and sums by the database.

Each line is read with the provider, consumer and service as they stood at the close (the
month's snapshots), so a consumer moved or renamed later changes nothing here. The unit
page's sums by consumer and by service are ``GROUP BY`` queries, in whole cents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from chargeback.models import Charge, ConsumerSnapshot, ServiceSnapshot, UnitTreeSnapshot
from chargeback.services.queries.sql import (
    after,
    cents_sum,
    from_cents,
    from_micros,
    micros_sum,
)
from reports import model as pm

STREAM_CHUNK = 10_000


@dataclass(frozen=True, kw_only=True)
class Filters:
    """Which lines of a month: by providing unit (ids), consumer, service or method codes."""

    unit_ids: set[int] | None = None  # None: every unit
    consumer: str | None = None
    service: str | None = None
    method: str | None = None


def _snapshots(query: Select) -> Select:
    return (query
            .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == Charge.period,
                                         UnitTreeSnapshot.unit_id == Charge.unit_id))
            .join(ConsumerSnapshot, and_(ConsumerSnapshot.period == Charge.period,
                                         ConsumerSnapshot.consumer_id == Charge.consumer_id))
            .outerjoin(ServiceSnapshot, and_(ServiceSnapshot.period == Charge.period,
                                             ServiceSnapshot.service_id == Charge.service_id)))


def lines(period: str, filters: Filters = Filters()) -> Select:
    """The query of a month's charge lines, each with the names it had at the close."""
    query = _snapshots(select(
        Charge.id, UnitTreeSnapshot.unit_code.label("unit"),
        ServiceSnapshot.code.label("service"), ConsumerSnapshot.code.label("consumer"),
        ConsumerSnapshot.name.label("consumer_name"),
        ConsumerSnapshot.gl_account.label("gl_account"), Charge.method, Charge.basis,
        UnitTreeSnapshot.billing_mode, Charge.quantity, Charge.rate, Charge.amount,
        Charge.unit_id, ServiceSnapshot.name.label("service_name"),
        ServiceSnapshot.uom.label("uom"), Charge.pool, Charge.driver, Charge.percent,
    )).where(Charge.period == period)
    if filters.unit_ids is not None:
        query = query.where(Charge.unit_id.in_(filters.unit_ids))
    if filters.consumer:
        query = query.where(ConsumerSnapshot.code == filters.consumer)
    if filters.service:
        query = query.where(ServiceSnapshot.code == filters.service)
    if filters.method:
        query = query.where(Charge.method == filters.method)
    return query


def page(session: Session, period: str, filters: Filters, last_id: int | None,
         limit: int) -> tuple[list, int | None]:
    """One page of lines in the order the close stored them, and where the next starts."""
    return after(session, lines(period, filters), Charge.id, last_id, limit)


def stream(session: Session, period: str, filters: Filters = Filters(), *,
           by_unit: bool = False) -> Iterator:
    """Every line, read in chunks (a month of a million lines never sits in memory)."""
    order = (UnitTreeSnapshot.unit_code, Charge.id) if by_unit else (Charge.id,)
    query = lines(period, filters).order_by(*order).execution_options(yield_per=STREAM_CHUNK)
    yield from session.connection().execute(query)  # Core rows: no ORM work per line


def pack_rows(session: Session, period: str) -> Iterator[pm.ChargeRow]:
    """The pack's Charges sheet: provider by provider, in the order the close stored them."""
    for r in stream(session, period, by_unit=True):
        yield pm.ChargeRow(unit=r.unit, service=r.service, consumer=r.consumer,
                           consumer_name=r.consumer_name, method=r.method, basis=r.basis,
                           billing_mode=r.billing_mode, quantity=r.quantity, rate=r.rate,
                           amount=r.amount)


def count(session: Session, period: str, unit_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Charge).where(
        Charge.period == period, Charge.unit_id == unit_id))


def of_unit(session: Session, period: str, unit_id: int, offset: int,
            limit: int) -> list:
    """One page of a unit's lines, in the order the close stored them."""
    return list(session.execute(lines(period, Filters(unit_ids={unit_id}))
                                .order_by(Charge.id).offset(offset).limit(limit)))


@dataclass(frozen=True, kw_only=True)
class ChargeSum:
    """Charges summed by consumer or by service (``code`` None: a driver or fixed split)."""

    code: str | None
    name: str
    detail: str  # the consumer's GL account, or the service's unit of measure / method
    lines: int
    quantity: Decimal | None
    amount: Decimal


def by_consumer(session: Session, period: str, unit_id: int, offset: int = 0,
                limit: int | None = None) -> list[ChargeSum]:
    """What a unit charged each consumer, by consumer code (a page of them)."""
    query = (select(ConsumerSnapshot.code, ConsumerSnapshot.name, ConsumerSnapshot.gl_account,
                    func.count(), cents_sum(Charge.amount))
             .join(ConsumerSnapshot, and_(ConsumerSnapshot.period == Charge.period,
                                          ConsumerSnapshot.consumer_id == Charge.consumer_id))
             .where(Charge.period == period, Charge.unit_id == unit_id)
             .group_by(ConsumerSnapshot.code, ConsumerSnapshot.name, ConsumerSnapshot.gl_account)
             .order_by(ConsumerSnapshot.code).offset(offset).limit(limit))
    return [ChargeSum(code=code, name=name, detail=account, lines=n, quantity=None,
                      amount=from_cents(cents))
            for code, name, account, n, cents in session.execute(query)]


def consumer_totals(session: Session, period: str, unit_id: int) -> tuple[int, Decimal]:
    """(how many consumers a unit charged, what it charged them in all)."""
    found, cents = session.execute(
        select(func.count(func.distinct(Charge.consumer_id)), cents_sum(Charge.amount))
        .where(Charge.period == period, Charge.unit_id == unit_id)).one()
    return found, from_cents(cents)


def by_service(session: Session, period: str, unit_id: int) -> list[ChargeSum]:
    """Usage charges by service with their quantity; driver and fixed splits by method."""
    query = (select(ServiceSnapshot.code, ServiceSnapshot.name, ServiceSnapshot.uom,
                    Charge.method, func.count(), micros_sum(Charge.quantity),
                    cents_sum(Charge.amount))
             .outerjoin(ServiceSnapshot, and_(ServiceSnapshot.period == Charge.period,
                                              ServiceSnapshot.service_id == Charge.service_id))
             .where(Charge.period == period, Charge.unit_id == unit_id)
             .group_by(ServiceSnapshot.code, ServiceSnapshot.name, ServiceSnapshot.uom,
                       Charge.method))
    sums = []
    for code, name, uom, method, n, micros, cents in session.execute(query):
        sums.append(ChargeSum(code=code, name=name if code else f"{method} split",
                              detail=uom if code else method, lines=n,
                              quantity=from_micros(micros) if code else None,
                              amount=from_cents(cents)))
    return sorted(sums, key=lambda s: (s.code or "", s.name, s.detail))


@dataclass(frozen=True, kw_only=True)
class MainService:
    """The service that recovered the most for a unit in a month, with its quantity."""

    code: str
    name: str
    uom: str
    quantity: Decimal
    amount: Decimal


def main_services(session: Session, period: str) -> dict[int, MainService]:
    """Unit id -> its usage service with the largest amount charged in the month (ties:
    the first code), as it stood at the close."""
    return {unit_id: main_of(by_code) for unit_id, by_code in usage_services(
        session, period).items()}


def main_of(by_code: dict[str, MainService]) -> MainService:
    """The service that recovered the most (ties: the first code)."""
    return min(by_code.values(), key=lambda s: (-s.amount, s.code))


def usage_services(session: Session, period: str) -> dict[int, dict[str, MainService]]:
    """Unit id -> service code -> what its usage charged and used in the month, for every
    usage service of the unit, as it stood at the close."""
    query = (select(Charge.unit_id, ServiceSnapshot.code, ServiceSnapshot.name,
                    ServiceSnapshot.uom, micros_sum(Charge.quantity), cents_sum(Charge.amount))
             .join(ServiceSnapshot, and_(ServiceSnapshot.period == Charge.period,
                                         ServiceSnapshot.service_id == Charge.service_id))
             .where(Charge.period == period, Charge.method == "usage")
             .group_by(Charge.unit_id, ServiceSnapshot.code, ServiceSnapshot.name,
                       ServiceSnapshot.uom))
    found: dict[int, dict[str, MainService]] = {}
    for unit_id, code, name, uom, micros, cents in session.execute(query):
        found.setdefault(unit_id, {})[code] = MainService(
            code=code, name=name, uom=uom, quantity=from_micros(micros),
            amount=from_cents(cents))
    return found


def driver_totals(session: Session, period: str) -> dict[tuple[int, str, str], Decimal]:
    """(unit id, pool, driver) -> the sum of the driver quantities it split by (FOCUS)."""
    rows = session.execute(
        select(Charge.unit_id, Charge.pool, Charge.driver, micros_sum(Charge.quantity))
        .where(Charge.period == period, Charge.method == "driver")
        .group_by(Charge.unit_id, Charge.pool, Charge.driver))
    return {(unit_id, pool, driver): from_micros(micros)
            for unit_id, pool, driver, micros in rows}
