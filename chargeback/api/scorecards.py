"""Scorecard versions: unit heads write drafts and submit them; central IT approves them or
sends them back with a comment. The rules are ``services.scorecards``', the web editor's
and the file import's: a version never takes effect in a closed month, a unit has at most
one version on its way, and every criterion is checked as the scorecard file is.

Errors name fields as the request does: ``criteria.0.target`` is the first criterion's
target. A request that the version's state does not allow (submitting a submitted version,
approving a draft) is 409; one whose content is wrong is 422.
"""

from __future__ import annotations

from flask import current_app

from chargeback import access as policy
from chargeback.access import ALL_ROLES, MANAGE
from chargeback.api.auth import access, current_user, errors, fail, unit_in_scope
from chargeback.api.extension import Blueprint, problem_errors
from chargeback.api.schemas import (
    ApproveSchema,
    SavedScorecardSchema,
    ScorecardDraftSchema,
    ScorecardsQuery,
    ScorecardVersionSchema,
    SendBackSchema,
)
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services import notify, scorecards
from chargeback.services.queries import scorecards as versions_query

bp = Blueprint("scorecards", __name__, url_prefix="/api/v1",
               description="Scorecard versions: drafts by unit heads, approval by central IT.")

SOURCE = "api"
DRAFT_EXAMPLE = {"effective_from": "2026-05", "criteria": [
    {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
     "direction": "higher", "method": "linear", "target": "4.5", "floor": "3.5",
     "weight": "3"},
    {"key": "on_budget", "label": "Spend within budget", "expr": "spend / budget",
     "direction": "lower", "method": "bands", "weight": "1",
     "bands": [{"at": "1.00", "score": "100"}, {"at": "1.05", "score": "70"}]}]}
VERSION_ID = "<id:version_id>"


def criterion_dict(c) -> dict:
    return {"key": c.key, "label": c.label, "expr": c.expr, "direction": c.direction,
            "method": c.method, "target": c.target, "floor": c.floor, "weight": c.weight,
            "bands": [{"at": b["at"], "score": b["score"]} for b in (c.bands or [])]}


def version_dict(version, unit_code: str) -> dict:
    return {"id": version.id, "unit": unit_code, "version": version.version,
            "status": version.status, "effective_from": version.effective_from,
            "created_by": version.created_by, "created_at": version.created_at,
            "submitted_at": version.submitted_at, "approved_by": version.approved_by,
            "approved_at": version.approved_at, "comment": version.comment,
            "criteria": [criterion_dict(c) for c in version.criteria]}


@bp.route("/units/<code:code>/scorecards")
@access(*ALL_ROLES)
@errors(404)
@bp.arguments(ScorecardsQuery, location="query")
@bp.response(200, ScorecardVersionSchema(many=True))
def versions(args: dict, code: str):
    """A unit's scorecard versions, newest first (`?status=` to keep one status)."""
    unit = unit_in_scope(code)
    return [version_dict(v, unit.code)
            for v in versions_query.versions(db.session, unit.id, args.get("status"))]


def _version(version_id: int):
    """The version and its unit: 404 if there is none, 403 outside the user's scope."""
    try:
        version, unit = versions_query.version(db.session, version_id)
    except Refused as exc:
        fail(404, " ".join(exc.messages))
    if not policy.can_see(db.session, current_user(), unit):
        fail(403, f"Unit {unit.code} is outside your units.")
    return version, unit


@bp.route(f"/scorecards/{VERSION_ID}")
@access(*ALL_ROLES)
@errors(404)
@bp.response(200, ScorecardVersionSchema)
def version(version_id: int):
    """One scorecard version with its criteria."""
    found, unit = _version(version_id)
    return version_dict(found, unit.code)


def _may_edit(unit) -> None:
    if not policy.may_edit_scorecard(db.session, current_user(), unit):
        fail(403, f"{policy.role_phrase(current_user().role)} does not edit scorecards.")


def _as_file(args: dict, unit) -> dict:
    """The request as the scorecard file's structure: the rules read and check it whole,
    exactly as they read the web form's (``services.scorecards.check``)."""
    return {"unit": unit.code, **{name: args[name] for name in ("effective_from", "criteria")
                                  if name in args}}


def _refuse(refusal: Refused) -> None:
    """409 when the version's state is the problem, else 422; errors keyed by the request's
    field names (``criteria.0.target`` is the first criterion's target)."""
    fail(409 if refusal.reason == "conflict" else 422, "; ".join(refusal.messages),
         problem_errors(refusal.problems))


def _decided(version, unit, step, mail: str) -> dict:
    """The answer to a step of the way to approval: refused (nothing kept) or done, and
    then, once committed, its mail (``notify.scorecard_step``)."""
    try:
        step()
    except Refused as refusal:
        _refuse(refusal)
    db.session.commit()
    notify.scorecard_step(db.session, version, unit, mail, current_app.config)
    return version_dict(version, unit.code)


@bp.route("/units/<code:code>/scorecards", methods=["POST"])
@access(*ALL_ROLES)
@errors(400, 404, 409, 413)
@bp.arguments(ScorecardDraftSchema, example=DRAFT_EXAMPLE)
@bp.alt_response(200, schema=SavedScorecardSchema, success=True,
                 description="The unit's open draft, updated")
@bp.response(201, SavedScorecardSchema, description="A new draft")
def save_draft(args: dict, code: str):
    """Write the unit's draft: a new version, or the open draft updated. Submit it next."""
    unit = unit_in_scope(code)
    _may_edit(unit)
    existed = scorecards.pending(db.session, unit.id) is not None
    try:
        result = scorecards.save_draft(db.session, _as_file(args, unit), current_user().email,
                                       SOURCE,
                                       max_criteria=current_app.config["CHARGEBACK_MAX_CRITERIA"])
    except Refused as refusal:
        _refuse(refusal)
    body = version_dict(result.version, unit.code) | {
        "warnings": [str(w) for w in result.warnings]}
    return body, 200 if existed else 201


@bp.route(f"/scorecards/{VERSION_ID}/submit", methods=["POST"])
@access(*ALL_ROLES)
@errors(404, 409, 422)
@bp.response(200, ScorecardVersionSchema)
def submit(version_id: int):
    """Hand a draft to central IT for approval."""
    found, unit = _version(version_id)
    _may_edit(unit)
    return _decided(found, unit,
                    lambda: scorecards.submit(db.session, found, current_user().email),
                    "submitted")


@bp.route(f"/scorecards/{VERSION_ID}/approve", methods=["POST"])
@access(*MANAGE)
@errors(400, 404, 409, 413)
@bp.arguments(ApproveSchema, required=False)
@bp.response(200, ScorecardVersionSchema)
def approve(args: dict, version_id: int):
    """Approve a submitted version from a month after the last close (default: the month
    the unit asked for). An approved version with the same start month is retired."""
    found, unit = _version(version_id)
    start = args.get("effective_from") or found.effective_from
    return _decided(found, unit, lambda: scorecards.approve_submitted(
        db.session, found, current_user().email, start), "approved")


@bp.route(f"/scorecards/{VERSION_ID}/send-back", methods=["POST"])
@access(*MANAGE)
@errors(400, 404, 409, 413)
@bp.arguments(SendBackSchema)
@bp.response(200, ScorecardVersionSchema)
def send_back(args: dict, version_id: int):
    """Return a submitted version to its unit as a draft, with what to change."""
    found, unit = _version(version_id)
    return _decided(found, unit, lambda: scorecards.send_back(
        db.session, found, current_user().email, args["comment"]), "sent_back")
