"""Who is asking, the unit tree, service models, consumers, services and rate cards.

Read-only: these change through imports (``/imports/{kind}``), as they do from files. A
unit head sees their units and the units below them; a unit outside that scope is 403.
Consumers are the holding company's cost centers, read by finance, central IT and admin.
"""

from __future__ import annotations

from flask import current_app, g

from chargeback import access as policy
from chargeback.access import ALL_ROLES, READ_ALL
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
from chargeback.services import settings as holding
from chargeback.services.queries import catalog, tree

bp = Blueprint("catalog", __name__, url_prefix="/api/v1",
               description="Who you are, the unit tree, service models, consumers, services "
                           "and rate cards.")


@bp.route("/me")
@access(*ALL_ROLES)
@bp.response(200, MeSchema)
def me():
    """The token's owner: role and unit scope, which every answer is cut to."""
    user = current_user()
    return {"email": user.email, "role": user.role, "units": sorted(u.code for u in user.units),
            "sees_every_unit": policy.sees_every_unit(user),
            "token": {"id": g.api_token.id, "name": g.api_token.name,
                      "expires_at": g.api_token.expires_at}}


def unit_row(unit, parent: str | None, depth: int) -> dict:
    return {"code": unit.code, "name": unit.name, "parent": parent, "depth": depth,
            "service_model": unit.service_model_code, "billing_mode": unit.billing_mode,
            "recovery_account": unit.recovery_account, "head_email": unit.head_email,
            "active": unit.active}


@bp.route("/settings")
@access(*ALL_ROLES)
@bp.response(200, SettingsSchema)
def settings():
    """The holding company's currency and the band limits attainment is banded by, today
    (a closed month keeps those it was closed with: see its portfolio)."""
    limits = holding.thresholds(db.session)
    return {"currency": holding.currency(db.session, current_app.config["CHARGEBACK_CURRENCY"]),
            "bands": {"exceeds": limits.exceeds, "meets": limits.meets,
                      "watch": limits.watch}}


@bp.route("/units")
@access(*ALL_ROLES)
@bp.response(200, UnitSchema(many=True))
def units():
    """The unit tree in tree order (depth first, children by code), retired units included
    (`active` false). A unit head gets their units and the units below them."""
    return [unit_row(p.unit, p.parent, p.depth)
            for p in tree.ordered(db.session, visible_codes())]


@bp.route("/units/<code:code>")
@access(*ALL_ROLES)
@errors(404)
@bp.response(200, UnitSchema)
def unit(code: str):
    """One unit; `depth` counts from the root of the whole tree."""
    found = unit_in_scope(code)
    parent = found.parent.code if found.parent else None
    return unit_row(found, parent, tree.depth_of(db.session, found.code))


@bp.route("/service-models")
@access(*ALL_ROLES)
@bp.response(200, ServiceModelSchema(many=True))
def service_models():
    """The value disciplines units are rated by (each by its own yardstick)."""
    return sorted(tree.service_models(db.session), key=lambda m: m.code)


@bp.route("/consumers")
@access(*READ_ALL)
@bp.response(200, ConsumerSchema(many=True))
def consumers():
    """The cost centers that receive charges, by code."""
    return [{"code": c.code, "name": c.name, "gl_account": c.gl_account, "unit": unit_code}
            for c, unit_code in tree.consumers(db.session)]


def _unit_filter(args: dict) -> set[int] | None:
    """The unit ids to keep (one unit, or the user's scope), None for every unit."""
    if args.get("unit"):
        return {unit_in_scope(args["unit"], field="unit").id}
    return policy.visible_ids(db.session, current_user())


@bp.route("/services")
@access(*ALL_ROLES)
@bp.arguments(ServicesQuery, location="query")
@bp.response(200, ServiceSchema(many=True))
def services(args: dict):
    """Services with their rate cards (oldest first) and the price in force for
    `?period` (else the latest price)."""
    return [{"code": s.code, "unit": s.unit, "name": s.name, "uom": s.uom,
             "rates": [{"effective_from": r.effective_from, "price": r.price} for r in s.rates],
             "price_in_force": s.price_in_force()}
            for s in catalog.services(db.session, args.get("period"), _unit_filter(args))]


@bp.route("/rate-cards")
@access(*ALL_ROLES)
@bp.arguments(RateCardsQuery, location="query")
@bp.response(200, RateCardSchema(many=True))
def rate_cards(args: dict):
    """Every price by service and month; with `?period` only the prices in force then."""
    return catalog.rate_cards(db.session, unit_ids=_unit_filter(args),
                              service=args.get("service"), month=args.get("period"))
