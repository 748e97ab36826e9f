"""Services and their rate cards today, and the one rule for the price in force.

The price in force for month P is the latest rate card with ``effective_from <= P``
(allocation.md). The close prices a month with ``prices_in_force`` and freezes the result
on the month's service snapshots; a closed month's prices are read from there
(``closed_month.services_of``), never from today's rate cards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import RateCard, Service, Unit
from chargeback.services.queries.listing import Filter, ListQuery, ListSpec, Sort, select_page
from chargeback.services.queries.sql import Page


@dataclass(frozen=True)
class Price:
    price: Decimal
    effective_from: str


def prices_in_force(session: Session, month: str,
                    service_ids: set[int] | None = None) -> dict[int, Price]:
    """Service id -> the price in force for ``month`` (the latest with effective_from <= it)."""
    query = (select(RateCard.service_id, RateCard.effective_from, RateCard.price)
             .where(RateCard.effective_from <= month).order_by(RateCard.effective_from))
    if service_ids is not None:
        query = query.where(RateCard.service_id.in_(service_ids))
    return {sid: Price(price, start) for sid, start, price in session.execute(query)}


@dataclass(frozen=True, kw_only=True)
class PricedService:
    """A service with its rate card (oldest first) and the price in force for a month."""

    code: str
    unit: str
    name: str
    uom: str
    rates: tuple[Price, ...]
    in_force: Price | None

    def price_in_force(self) -> Decimal | None:
        return self.in_force.price if self.in_force else None


def services(session: Session, month: str | None = None,
             unit_ids: set[int] | None = None) -> list[PricedService]:
    """Today's services (of ``unit_ids``, else all) by code, with every rate card and the
    price in force for ``month`` (else the latest price)."""
    query = select(Service, Unit.code).join(Unit, Unit.id == Service.unit_id)
    if unit_ids is not None:
        query = query.where(Service.unit_id.in_(unit_ids))
    found = list(session.execute(query.order_by(Service.code)))
    ids = {s.id for s, _ in found}
    rates: dict[int, list[Price]] = defaultdict(list)
    for service_id, start, price in session.execute(
            select(RateCard.service_id, RateCard.effective_from, RateCard.price)
            .where(RateCard.service_id.in_(ids)).order_by(RateCard.effective_from)):
        rates[service_id].append(Price(price, start))
    current = prices_in_force(session, month, ids) if month else {
        sid: cards[-1] for sid, cards in rates.items()}
    return [PricedService(code=s.code, unit=unit, name=s.name, uom=s.uom,
                          rates=tuple(rates[s.id]), in_force=current.get(s.id))
            for s, unit in found]


def rate_cards(session: Session, *, unit_ids: set[int] | None = None,
               service: str | None = None, month: str | None = None) -> list[dict]:
    """Every price by service and month; with ``month`` only the prices in force then."""
    query = (select(Service.code, Unit.code, RateCard.effective_from, RateCard.price,
                    RateCard.service_id)
             .join(Service, Service.id == RateCard.service_id)
             .join(Unit, Unit.id == Service.unit_id))
    if unit_ids is not None:
        query = query.where(Service.unit_id.in_(unit_ids))
    if service:
        query = query.where(Service.code == service)
    rows = [{"service": s, "unit": u, "effective_from": start, "price": price, "id": sid}
            for s, u, start, price, sid in session.execute(
                query.order_by(Service.code, RateCard.effective_from))]
    if month:
        in_force = prices_in_force(session, month, {r["id"] for r in rows})
        rows = [r for r in rows if r["id"] in in_force
                and r["effective_from"] == in_force[r["id"]].effective_from]
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


# --- the Services list ---------------------------------------------------------------------


def list_spec(unit_codes: list[str]) -> ListSpec:
    """The Services list: search, the providing unit (one of ``unit_codes``), sort keys."""
    return ListSpec(
        sorts={"code": Sort("Code", (Service.code,)),
               "name": Sort("Name", (Service.name,)),
               "unit": Sort("Unit", (Unit.code,)),
               "uom": Sort("Unit of measure", (Service.uom,))},
        default_sort="code",
        search=(Service.code, Service.name, Service.uom, Unit.code),
        search_label="Code, name, unit of measure or unit",
        filters={"unit": Filter("Unit", tuple((c, c) for c in unit_codes),
                                lambda v: Unit.code == v)},
        tiebreak=(Service.id,))


def providers(session: Session, unit_ids: set[int] | None) -> list[str]:
    """The codes of the units (of ``unit_ids``, else all) that offer a service."""
    query = select(Unit.code).join(Service, Service.unit_id == Unit.id).distinct()
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids))
    return sorted(session.scalars(query))


def services_page(session: Session, unit_ids: set[int] | None, spec: ListSpec,
                  asked: ListQuery) -> tuple[Page, dict[int, Price]]:
    """A page of (service, its unit's code) rows of ``unit_ids`` (None: all) searched,
    filtered and sorted as asked, and the latest price of each service on it."""
    query = select(Service, Unit.code).join(Unit, Unit.id == Service.unit_id)
    if unit_ids is not None:
        query = query.where(Service.unit_id.in_(unit_ids))
    found = select_page(session, spec, query, asked, scalars=False)
    ids = {service.id for service, _ in found.items}
    latest = {sid: Price(price, start) for sid, start, price in session.execute(
        select(RateCard.service_id, RateCard.effective_from, RateCard.price)
        .where(RateCard.service_id.in_(ids)).order_by(RateCard.effective_from))}
    return found, latest
