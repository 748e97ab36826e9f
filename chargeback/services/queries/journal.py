"""A closed month's GL journal, with units and consumers coded as they stood at the close."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from chargeback.models import ConsumerSnapshot, JournalLine, UnitTreeSnapshot
from chargeback.services.queries.sql import after
from reports import model as pm


@dataclass(frozen=True, kw_only=True)
class Filters:
    unit_ids: set[int] | None = None
    account: str | None = None
    consumer: str | None = None
    journal: str | None = None


def lines(period: str, filters: Filters = Filters()) -> Select:
    query = (select(JournalLine.id, JournalLine.journal, JournalLine.period,
                    UnitTreeSnapshot.unit_code.label("unit"), JournalLine.account,
                    ConsumerSnapshot.code.label("consumer"), JournalLine.description,
                    JournalLine.debit, JournalLine.credit, JournalLine.currency)
             .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == JournalLine.period,
                                          UnitTreeSnapshot.unit_id == JournalLine.unit_id))
             .outerjoin(ConsumerSnapshot,
                        and_(ConsumerSnapshot.period == JournalLine.period,
                             ConsumerSnapshot.consumer_id == JournalLine.consumer_id))
             .where(JournalLine.period == period))
    if filters.unit_ids is not None:
        query = query.where(JournalLine.unit_id.in_(filters.unit_ids))
    if filters.account:
        query = query.where(JournalLine.account == filters.account)
    if filters.consumer:
        query = query.where(ConsumerSnapshot.code == filters.consumer)
    if filters.journal:
        query = query.where(JournalLine.journal == filters.journal)
    return query


def page(session: Session, period: str, filters: Filters, last_id: int | None,
         limit: int) -> tuple[list, int | None]:
    return after(session, lines(period, filters), JournalLine.id, last_id, limit)


def stream(session: Session, period: str, filters: Filters = Filters()) -> Iterator:
    """In journal order: by journal id, then as the close wrote them."""
    query = lines(period, filters).order_by(JournalLine.journal, JournalLine.id)
    yield from session.connection().execute(query.execution_options(yield_per=5000))


def pack_rows(session: Session, period: str) -> tuple[pm.JournalRow, ...]:
    return tuple(pm.JournalRow(journal=j.journal, period=j.period, unit=j.unit,
                               account=j.account, consumer=j.consumer,
                               description=j.description, debit=j.debit, credit=j.credit,
                               currency=j.currency)
                 for j in stream(session, period))
