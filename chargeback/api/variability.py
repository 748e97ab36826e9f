"""What each of a unit's services does with customer-introduced variability.

``GET /units/{code}/variability`` answers today's stances, or with ``?period=`` a closed
month's as its close froze them (a month not closed: today's, marked ``frozen`` false); ``PUT`` states them (the unit's head, central IT, admin).
A stance the unit has not stated is its service model's template's proposal, with
``source`` ``template``. A refused statement is 422 with each problem keyed as the request
names it (``stances.0.stance``), and nothing is stored.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chargeback import access as policy
from chargeback.access import ALL_ROLES
from chargeback.api.auth import access, current_user, errors, fail, unit_in_scope
from chargeback.api.extension import Blueprint, problem_errors
from chargeback.api.fields import Code, Period, Text
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services import variability as statements
from chargeback.services.queries import periods, variability
from rules import variability as rv

bp = Blueprint("service_variability", __name__, url_prefix="/api/v1",
               description="Each service's stance on customer-introduced variability.")

MAX_STANCES = 5_000
EXAMPLE = {"stances": [
    {"service": "WW-DESK", "kind": "request", "stance": "reduce",
     "note": "three standard images"},
    {"service": "WW-DESK", "kind": "arrival", "stance": None}]}


class VariabilityStanceSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(rv.KINDS))
    stance = fields.String(required=True, validate=validate.OneOf(rv.STANCES))
    note = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, validate=validate.OneOf(rv.SOURCES), metadata={
        "description": "`stated` by the unit, or proposed by its service model's `template`"})


class ServiceStancesSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    uom = fields.String(required=True)
    stances = fields.List(fields.Nested(VariabilityStanceSchema), required=True, metadata={
        "description": "one per kind that has a stance, in Frei's order"})


class UnitVariabilitySchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True, allow_none=True, metadata={
        "description": "the month asked for (null: none, today's stances)"})
    frozen = fields.Boolean(required=True, metadata={
        "description": "true: the stances as the close of `period` froze them; false: "
                       "today's (no period asked, or a month that is not closed)"})
    note = fields.String(required=True, allow_none=True, metadata={
        "description": "why today's stances answer for a month that is not closed"})
    services = fields.List(fields.Nested(ServiceStancesSchema), required=True)


class VariabilityQuery(Schema):
    period = Period(metadata={"description": "a closed month: its stances as it closed"})


class VariabilityStatementSchema(Schema):
    service = Code(required=True)
    kind = Text(required=True, validate=validate.Length(max=64))
    stance = Text(required=True, allow_none=True, validate=validate.Length(max=64),
                  metadata={"description": "reduce or accommodate; null leaves the kind "
                                           "to the template's proposal"})
    note = Text(allow_none=True, validate=validate.Length(max=1000),
                metadata={"description": f"how, at most {rv.NOTE_LENGTH} characters"})


class VariabilityStatementsSchema(Schema):
    stances = fields.List(fields.Nested(VariabilityStatementSchema), required=True,
                          validate=validate.Length(min=1, max=MAX_STANCES))


def _answer(unit_code: str, period: str | None, services, *, frozen: bool = False,
            note: str | None = None) -> dict:
    return {"unit": unit_code, "period": period, "frozen": frozen, "note": note, "services": [
        {"code": s.code, "name": s.name, "uom": s.uom,
         "stances": [{"kind": k, "stance": v.stance, "note": v.note, "source": v.source}
                     for k, v in s.stances() if v is not None]}
        for s in services]}


@bp.route("/units/<code:code>/variability")
@access(*ALL_ROLES)
@errors(404)
@bp.arguments(VariabilityQuery, location="query")
@bp.response(200, UnitVariabilitySchema)
def show(args: dict, code: str):
    """A unit's services with each kind's stance: today, or as `?period`'s close froze
    them (`frozen` true). A month that is not closed has no frozen stances yet: it answers
    today's, `frozen` false with a `note`, as the web page shows them with a warning."""
    unit = unit_in_scope(code)
    period = args.get("period")
    if period is None:
        return _answer(unit.code, None, variability.today(db.session, unit))
    if period not in periods.closed(db.session):
        return _answer(unit.code, period, variability.today(db.session, unit), note=(
            f"{period} is not a closed period: these are today's stances, which a month's "
            "close freezes."))
    return _answer(unit.code, period,
                   variability.frozen(db.session, period, [unit.code])[unit.code],
                   frozen=True)


@bp.route("/units/<code:code>/variability", methods=["PUT"])
@access(*ALL_ROLES)
@errors(400, 404, 413, 422)
@bp.arguments(VariabilityStatementsSchema, example=EXAMPLE)
@bp.response(200, UnitVariabilitySchema)
def state(args: dict, code: str):
    """State stances for the unit's services (all or nothing); those not named are kept.
    Today's stances come back."""
    unit = unit_in_scope(code)
    if not policy.may_state_variability(db.session, current_user(), unit):
        fail(403, f"{policy.role_phrase(current_user().role)} does not state stances.")
    said = [statements.Statement(service=s["service"], kind=s["kind"], stance=s["stance"],
                                 note=s.get("note"), field=f"stances.{i}.")
            for i, s in enumerate(args["stances"])]
    try:
        statements.state(db.session, unit, said, current_user().email)
    except Refused as refusal:
        fail(422, "; ".join(refusal.messages), problem_errors(refusal.problems))
    return _answer(unit.code, None, variability.today(db.session, unit))
