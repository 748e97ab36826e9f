"""Who is asking, the unit tree, service models, consumers, services and rate cards.

Read-only: these change through imports (``/imports/{kind}``), as they do from files. A
unit head sees their units and the units below them; a unit outside that scope is 403.
Consumers are the holding company's cost centers, read by finance, central IT and admin.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from chargeback.api.auth import access, current_user, errors, unit_in_scope, visible_codes
from chargeback.api.extension import Blueprint
from chargeback.api.schemas import (
    ConsumerSchema,
    MeSchema,
    RateCardSchema,
    RateCardsQuery,
    ServiceModelSchema,
    ServiceSchema,
    ServicesQuery,
    SettingsSchema,
    UnitSchema,
)
from chargeback.extensions import db
from chargeback.models import Consumer, RateCard, Service, ServiceModel, Unit
from chargeback.services.portfolio import tree_order
from chargeback.web.access import ALL_ROLES, READ_ALL

bp = Blueprint("catalog", __name__, url_prefix="/api/v1",
               description="Who you are, the unit tree, service models, consumers, services "
                           "and rate cards.")


@bp.route("/me")
@access(*ALL_ROLES)
@bp.response(200, MeSchema)
def me():
    """The token's owner: role and unit scope, which every answer is cut to."""
    from flask import g

    user = current_user()
    return {"email": user.email, "role": user.role, "units": sorted(u.code for u in user.units),
            "sees_every_unit": visible_codes(user) is None,
            "token": {"id": g.api_token.id, "name": g.api_token.name}}


def unit_row(unit: Unit, parent: str | None, depth: int) -> dict:
    return {"code": unit.code, "name": unit.name, "parent": parent, "depth": depth,
            "service_model": unit.service_model_code, "billing_mode": unit.billing_mode,
            "recovery_account": unit.recovery_account, "head_email": unit.head_email,
            "active": unit.active}


@bp.route("/settings")
@access(*ALL_ROLES)
@bp.response(200, SettingsSchema)
def settings():
    """The holding company's currency and the band limits attainment is banded by."""
    from flask import current_app

    from chargeback.services.settings import currency, thresholds

    limits = thresholds(db.session)
    return {"currency": currency(db.session, current_app.config["CHARGEBACK_CURRENCY"]),
            "bands": {"exceeds": limits.exceeds, "meets": limits.meets,
                      "watch": limits.watch}}


@bp.route("/units")
@access(*ALL_ROLES)
@bp.response(200, UnitSchema(many=True))
def units():
    """The unit tree in tree order (depth first, children by code), retired units included
    (`active` false). A unit head gets their units and the units below them."""
    visible = visible_codes(current_user())
    everyone = list(db.session.scalars(select(Unit)))
    code_of = {u.id: u.code for u in everyone}
    shown = {u.code: u for u in everyone if visible is None or u.code in visible}
    parents = {code: code_of.get(u.parent_id) for code, u in shown.items()}
    return [unit_row(shown[code], parents[code], depth) for code, depth in tree_order(parents)]


@bp.route("/units/<code:code>")
@access(*ALL_ROLES)
@errors(404)
@bp.response(200, UnitSchema)
def unit(code: str):
    """One unit; `depth` counts from the root of the whole tree."""
    found = unit_in_scope(code)
    depth, node = 0, found
    while node.parent_id is not None and depth < 1000:
        node = db.session.get(Unit, node.parent_id)
        depth += 1
    parent = db.session.get(Unit, found.parent_id) if found.parent_id else None
    return unit_row(found, parent.code if parent else None, depth)


@bp.route("/service-models")
@access(*ALL_ROLES)
@bp.response(200, ServiceModelSchema(many=True))
def service_models():
    """The value disciplines units are rated by (each by its own yardstick)."""
    return list(db.session.scalars(select(ServiceModel).order_by(ServiceModel.code)))


@bp.route("/consumers")
@access(*READ_ALL)
@bp.response(200, ConsumerSchema(many=True))
def consumers():
    """The cost centers that receive charges, by code."""
    rows = db.session.execute(select(Consumer, Unit.code).outerjoin(Unit, Unit.id ==
                                                                    Consumer.unit_id)
                              .order_by(Consumer.code))
    return [{"code": c.code, "name": c.name, "gl_account": c.gl_account, "unit": unit_code}
            for c, unit_code in rows]


def _unit_filter(args: dict) -> tuple[set[int] | None, bool]:
    """(unit ids to keep or None for all, and whether the filter names one unit)."""
    if args.get("unit"):
        return {unit_in_scope(args["unit"], field="unit").id}, True
    visible = visible_codes(current_user())
    if visible is None:
        return None, False
    return set(db.session.scalars(select(Unit.id).where(Unit.code.in_(visible)))), False


@bp.route("/services")
@access(*ALL_ROLES)
@bp.arguments(ServicesQuery, location="query")
@bp.response(200, ServiceSchema(many=True))
def services(args: dict):
    """Services with their rate cards (oldest first) and the price in force for
    `?period` (else the latest price)."""
    unit_ids, _ = _unit_filter(args)
    query = select(Service, Unit.code).join(Unit, Unit.id == Service.unit_id)
    if unit_ids is not None:
        query = query.where(Service.unit_id.in_(unit_ids))
    found = list(db.session.execute(query.order_by(Service.code)))
    prices: dict[int, list[dict]] = defaultdict(list)
    for rate in db.session.scalars(select(RateCard).where(
            RateCard.service_id.in_([s.id for s, _ in found])).order_by(RateCard.effective_from)):
        prices[rate.service_id].append({"effective_from": rate.effective_from,
                                        "price": rate.price})
    period = args.get("period")
    result = []
    for service, unit_code in found:
        rates = prices[service.id]
        usable = [r for r in rates if period is None or r["effective_from"] <= period]
        result.append({"code": service.code, "unit": unit_code, "name": service.name,
                       "uom": service.uom, "rates": rates,
                       "price_in_force": usable[-1]["price"] if usable else None})
    return result


@bp.route("/rate-cards")
@access(*ALL_ROLES)
@bp.arguments(RateCardsQuery, location="query")
@bp.response(200, RateCardSchema(many=True))
def rate_cards(args: dict):
    """Every price by service and month; with `?period` only the prices in force then."""
    unit_ids, _ = _unit_filter(args)
    query = (select(Service.code, Unit.code, RateCard.effective_from, RateCard.price)
             .join(Service, Service.id == RateCard.service_id)
             .join(Unit, Unit.id == Service.unit_id))
    if unit_ids is not None:
        query = query.where(Service.unit_id.in_(unit_ids))
    if args.get("service"):
        query = query.where(Service.code == args["service"])
    if args.get("period"):
        query = query.where(RateCard.effective_from <= args["period"])
    rows = [{"service": s, "unit": u, "effective_from": start, "price": price}
            for s, u, start, price in db.session.execute(
                query.order_by(Service.code, RateCard.effective_from))]
    if args.get("period"):
        latest = {row["service"]: row for row in rows}
        rows = list(latest.values())
    return rows
