"""A closed month's usage lines: what a usage charge line adds up, line by line.

Usage is rated in aggregate (spec allocation.md, "Rated usage"): a usage charge line is the
sum of a consumer's usage lines of one service in the month, which stay stored as imported
(a month may hold millions). This module reads them back for the drill-down page, the API
and its CSV export, one query for every reader.

A closed month is read only from what its close froze: its usage lines cannot change
(imports into a closed month are refused), and each line is read with the providing unit,
the service and the consumer as they stood at the close (the month's snapshots), so a
later rename or move changes nothing here. The filters compare codes and units as they
stood at the close too; they are resolved to service and consumer ids in the month's
snapshots (``IN`` subqueries), so the lines are found through the usage index on
(period, service, consumer) rather than by reading the month.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from chargeback.models import ConsumerSnapshot, ServiceSnapshot, UnitTreeSnapshot, UsageLine
from chargeback.services.queries import charges
from chargeback.services.queries.sql import after, from_micros, micros_sum

STREAM_CHUNK = 10_000


@dataclass(frozen=True, kw_only=True)
class Filters:
    """Which lines of a month: by providing unit (ids) and by consumer and service codes,
    each as it stood at the close."""

    unit_ids: set[int] | None = None  # None: every unit
    consumer: str | None = None
    service: str | None = None


def _services_of(period: str, unit_ids: set[int]) -> Select:
    """The month's services whose providing unit (at the close) is one of ``unit_ids``."""
    return (select(ServiceSnapshot.service_id)
            .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == ServiceSnapshot.period,
                                         UnitTreeSnapshot.unit_code == ServiceSnapshot.unit_code))
            .where(ServiceSnapshot.period == period, UnitTreeSnapshot.unit_id.in_(unit_ids)))


def _filtered(query: Select, period: str, filters: Filters) -> Select:
    query = query.where(UsageLine.period == period)
    if filters.unit_ids is not None:
        query = query.where(UsageLine.service_id.in_(_services_of(period, filters.unit_ids)))
    if filters.service:
        query = query.where(UsageLine.service_id.in_(select(ServiceSnapshot.service_id).where(
            ServiceSnapshot.period == period, ServiceSnapshot.code == filters.service)))
    if filters.consumer:
        query = query.where(UsageLine.consumer_id.in_(select(ConsumerSnapshot.consumer_id).where(
            ConsumerSnapshot.period == period, ConsumerSnapshot.code == filters.consumer)))
    return query


def lines(period: str, filters: Filters = Filters()) -> Select:
    """The query of a month's usage lines, each with the codes and names of the close."""
    query = (select(UsageLine.id, ServiceSnapshot.unit_code.label("unit"),
                    ServiceSnapshot.code.label("service"),
                    ServiceSnapshot.name.label("service_name"), ServiceSnapshot.uom,
                    ConsumerSnapshot.code.label("consumer"),
                    ConsumerSnapshot.name.label("consumer_name"), UsageLine.quantity,
                    UsageLine.batch_id.label("batch"))
             .join(ServiceSnapshot, and_(ServiceSnapshot.period == UsageLine.period,
                                         ServiceSnapshot.service_id == UsageLine.service_id))
             .join(ConsumerSnapshot, and_(ConsumerSnapshot.period == UsageLine.period,
                                          ConsumerSnapshot.consumer_id == UsageLine.consumer_id)))
    return _filtered(query, period, filters)


def page(session: Session, period: str, filters: Filters, last_id: int | None,
         limit: int) -> tuple[list, int | None]:
    """One page of lines in the order they were imported (the API's keyset paging), and
    the id the next page starts after."""
    return after(session, lines(period, filters), UsageLine.id, last_id, limit)


def stream(session: Session, period: str, filters: Filters = Filters()) -> Iterator:
    """Every line, read in chunks: a month of millions of lines never sits in memory."""
    yield from session.execute(lines(period, filters).order_by(UsageLine.id)) \
        .yield_per(STREAM_CHUNK)


@dataclass(frozen=True)
class Totals:
    """How many lines, and their quantity summed exactly (six places)."""

    lines: int
    quantity: Decimal


def totals(session: Session, period: str, filters: Filters) -> Totals:
    """The lines' count and sum in one statement: the sum is what the close rated, so a
    usage charge line's quantity equals the totals of its consumer and service."""
    count, micros = session.execute(_filtered(
        select(func.count(), micros_sum(UsageLine.quantity)), period, filters)).one()
    return Totals(count, from_micros(micros))


def slice_of(session: Session, period: str, filters: Filters, offset: int,
             limit: int) -> list:
    """One page of lines for a web list (numbered pages), in the order they were imported."""
    return list(session.execute(lines(period, filters).order_by(UsageLine.id)
                                .offset(offset).limit(limit)))


def charge_of(session: Session, period: str, unit_id: int, consumer: str, service: str):
    """The usage charge line these lines add up to: the one a unit made for a consumer's
    use of one of its services in the month (codes of the close), or None."""
    return session.execute(charges.lines(period, charges.Filters(
        unit_ids={unit_id}, consumer=consumer, service=service, method="usage"))).first()
