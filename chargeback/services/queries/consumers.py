"""Consumers (the cost centers that receive charges) as a list to search, filter and sort.

A consumer that is itself a unit (``unit_id`` set) is that unit's own cost center; the
others are the business's. A unit head sees the consumers that are their units and the
units below them, as on the Statements page; the other roles see every consumer.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from chargeback.models import Consumer, Unit
from chargeback.services.queries.listing import Filter, ListQuery, ListSpec, Sort, select_page
from chargeback.services.queries.sql import Page

KINDS = (("unit", "a unit's own"), ("business", "the business's"))

LIST = ListSpec(
    sorts={"code": Sort("Code", (Consumer.code,)),
           "name": Sort("Name", (Consumer.name,)),
           "gl": Sort("GL account", (Consumer.gl_account,)),
           "unit": Sort("Unit", (Unit.code,), nullable=True)},
    default_sort="code",
    search=(Consumer.code, Consumer.name, Consumer.gl_account, Unit.code),
    search_label="Code, name, GL account or unit",
    filters={"kind": Filter("Kind", KINDS, lambda v: Consumer.unit_id.is_not(None)
                            if v == "unit" else Consumer.unit_id.is_(None))},
    tiebreak=(Consumer.id,))


def _listed(unit_ids: set[int] | None) -> Select:
    query = select(Consumer, Unit.code).outerjoin(Unit, Unit.id == Consumer.unit_id)
    if unit_ids is not None:
        query = query.where(Consumer.unit_id.in_(unit_ids))
    return query


def page(session: Session, unit_ids: set[int] | None, asked: ListQuery) -> Page:
    """(consumer, its unit's code or None) rows of the consumers of ``unit_ids`` (None:
    every consumer), searched, filtered and sorted as asked."""
    return select_page(session, LIST, _listed(unit_ids), asked, scalars=False)
