"""Changing the unit tree and the service models by hand (the web app's administration).

History does not move with the tree: each close stores the tree as it stood
(``UnitTreeSnapshot``) and packs of a closed period are built from that snapshot, so a
rename or a move here shows in open and later periods only. The tree keeps exactly one
root; a move that would put a unit under itself is refused. Retiring a unit only marks it
inactive: its rows, charges and snapshots stay, so closed months still show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chargeback.models import ServiceModel, Unit
from chargeback.models.audit import record
from chargeback.models.periods import lock_reference
from chargeback.refusals import Problem, Refused
from chargeback.safe_json import JsonRefused, loads
from chargeback.services.queries import tree
from chargeback.services.users import EMAIL_RE
from rules.model import RuleError, Scorecard
from rules.scoring import scorecard_from_dict, scorecard_to_dict, validate_scorecard
from rules.vocabulary import BILLING_MODES

UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MODEL_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FIELDS = ("name", "parent_code", "service_model", "billing_mode", "recovery_account",
          "head_email")


class TreeRefused(Refused):
    """A change the tree or the catalogue of models does not allow; each problem names the
    field at fault."""

    def __init__(self, *problems: Problem | RuleError | str):
        super().__init__(*problems, kind="unit")


def _field(name: str, message: str) -> Problem:
    return Problem(kind="unit", field=name, message=message)


@dataclass(kw_only=True)
class UnitFields:
    """What a person may set on a unit (the code is fixed once created)."""

    name: str
    parent_code: str | None
    service_model: str
    billing_mode: str = "chargeback"
    recovery_account: str | None = None
    head_email: str | None = None


def _state(unit: Unit) -> dict:
    return {"name": unit.name, "parent_code": unit.parent.code if unit.parent else None,
            "service_model": unit.service_model_code, "billing_mode": unit.billing_mode,
            "recovery_account": unit.recovery_account, "head_email": unit.head_email,
            "active": unit.active}


def _blank(value: str | None) -> str | None:
    return (value or "").strip() or None


def _clean(fields: UnitFields) -> UnitFields:
    """Trimmed text, empty optional fields as None, e-mail in lower case."""
    blank = _blank
    return UnitFields(name=(fields.name or "").strip(), parent_code=blank(fields.parent_code),
                      service_model=(fields.service_model or "").strip(),
                      billing_mode=(fields.billing_mode or "chargeback").strip(),
                      recovery_account=blank(fields.recovery_account),
                      head_email=(blank(fields.head_email) or "").lower() or None)


def _field_errors(session: Session, f: UnitFields) -> list[str]:
    errors = []
    if not f.name or len(f.name) > 200:
        errors.append(_field("name", "required, at most 200 characters"))
    if session.get(ServiceModel, f.service_model) is None:
        errors.append(_field("service_model", f"unknown service model '{f.service_model}'"))
    if f.billing_mode not in BILLING_MODES:
        errors.append(_field("billing_mode", f"must be {' or '.join(BILLING_MODES)}"))
    if f.recovery_account and len(f.recovery_account) > 64:
        errors.append(_field("recovery_account", "at most 64 characters"))
    if f.head_email and not EMAIL_RE.match(f.head_email):
        errors.append(_field("head_email", f"'{f.head_email}' is not an e-mail address"))
    return errors


def _root(session: Session) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)
                          .limit(1))


def _parent(session: Session, unit: Unit | None, parent_code: str | None) -> Unit | None:
    """The new parent, or Refused: one root only, no cycle, never under a retired unit."""
    if parent_code is None:
        root = _root(session)
        if root is not None and root is not unit:
            raise TreeRefused(_field("parent_code", (
                f"required: the holding company already has a root unit '{root.code}'; "
                "pick a parent")))
        return None
    parent = tree.unit_by_code(session, parent_code)
    if parent is None:
        raise TreeRefused(_field("parent_code", f"unknown unit '{parent_code}'"))
    if not parent.active:
        raise TreeRefused(_field("parent_code",
                                 f"'{parent_code}' is retired; pick an active unit"))
    if unit is not None and parent.code in tree.subtree_codes(session, {unit.code}):
        under = "itself" if parent.id == unit.id else f"'{parent.code}', which is below it"
        raise TreeRefused(_field("parent_code", (
            f"the tree would have a cycle: {unit.code} cannot move under {under}")))
    return parent


def create_unit(session: Session, code: str, fields: UnitFields, actor: str) -> Unit:
    """A new unit under an active parent (or the root, when the tree is empty)."""
    lock_reference(session)  # not while a close reads the tree
    code = (code or "").strip()
    fields = _clean(fields)
    errors = _field_errors(session, fields)
    if not UNIT_CODE_RE.match(code):
        errors.insert(0, _field("code", "letters, digits, '_', '-' or '.', at most 64, no spaces"))
    elif tree.unit_by_code(session, code) is not None:
        errors.insert(0, _field("code", f"a unit '{code}' already exists"))
    if errors:
        raise TreeRefused(*errors)
    parent = _parent(session, None, fields.parent_code)
    unit = Unit(code=code, name=fields.name, parent=parent,
                service_model_code=fields.service_model, billing_mode=fields.billing_mode,
                recovery_account=fields.recovery_account, head_email=fields.head_email,
                active=True)
    session.add(unit)
    session.flush()
    record(session, actor, "unit.create", "unit", code, after=_state(unit))
    return unit


def update_unit(session: Session, unit: Unit, fields: UnitFields, actor: str) -> Unit:
    """Rename, move, change model, billing mode, recovery account or head of a unit."""
    lock_reference(session)  # not while a close reads the tree
    fields = _clean(fields)
    errors = _field_errors(session, fields)
    if errors:
        raise TreeRefused(*errors)
    parent = _parent(session, unit, fields.parent_code)
    before = _state(unit)
    unit.name, unit.parent = fields.name, parent
    unit.service_model_code, unit.billing_mode = fields.service_model, fields.billing_mode
    unit.recovery_account, unit.head_email = fields.recovery_account, fields.head_email
    session.flush()
    after = _state(unit)
    if after != before:
        record(session, actor, "unit.update", "unit", unit.code, before=before, after=after)
    return unit


def retire_unit(session: Session, unit: Unit, actor: str, reason: str | None = None) -> Unit:
    """Mark a unit retired; its history stays. Not the root, not with active units below."""
    lock_reference(session)  # not while a close reads the tree
    if not unit.active:
        raise TreeRefused(f"{unit.code} is already retired")
    if unit.parent_id is None:
        raise TreeRefused(f"{unit.code} is the root of the tree (the holding company): it cannot "
                      "be retired")
    active_children = sorted(c.code for c in unit.children if c.active)
    if active_children:
        raise TreeRefused(f"{unit.code} still has active units below it "
                      f"({', '.join(active_children)}): move or retire them first")
    unit.active = False
    record(session, actor, "unit.retire", "unit", unit.code, before={"active": True},
           after={"active": False}, reason=(reason or "").strip() or None)
    session.flush()
    return unit


def reactivate_unit(session: Session, unit: Unit, actor: str) -> Unit:
    lock_reference(session)  # not while a close reads the tree
    if unit.active:
        raise TreeRefused(f"{unit.code} is active")
    if unit.parent is not None and not unit.parent.active:
        raise TreeRefused(f"{unit.code} sits under '{unit.parent.code}', which is retired: "
                      "reactivate that unit first, or move this one")
    unit.active = True
    record(session, actor, "unit.reactivate", "unit", unit.code, before={"active": False},
           after={"active": True})
    session.flush()
    return unit


# --- service models --------------------------------------------------------------------


def parse_starter(text: str) -> object:
    """The starter scorecard typed in the form, as JSON with exact decimals, within the JSON
    limits (``chargeback.safe_json``: depth, size, a key twice)."""
    try:
        return loads(text or "")
    except JsonRefused as exc:
        raise TreeRefused(_field("starter", f"not JSON ({exc.message})")) from None


def starter_scorecard(code: str, data: object) -> Scorecard:
    """Criteria as in the scorecard file: a list of them, or ``{"criteria": [...]}``.

    A starter belongs to no unit and no month yet, so ``unit`` and ``effective_from`` are
    ignored when given; the scorecard editor fills them in for the unit that starts from it.
    """
    if isinstance(data, list):
        data = {"criteria": data}
    if not isinstance(data, dict) or "criteria" not in data:
        raise TreeRefused(_field("starter",
                                 'a list of criteria, or an object {"criteria": [...]}'))
    rest = {k: v for k, v in data.items() if k not in ("unit", "effective_from")}
    scorecard, errors = scorecard_from_dict({**rest, "unit": code, "effective_from": "1900-01"},
                                            "starter")
    if scorecard is not None:
        errors = validate_scorecard(scorecard, None)[1]
    if errors:
        raise TreeRefused(*errors)
    return Scorecard(unit="", effective_from="", criteria=scorecard.criteria)


def add_service_model(session: Session, code: str, name: str, starter: object,
                      actor: str) -> ServiceModel:
    """A model the holding company adds, with the starter scorecard its units begin from."""
    lock_reference(session)  # not while a close reads the tree
    code, name = (code or "").strip(), (name or "").strip()
    errors = []
    if not MODEL_CODE_RE.match(code):
        errors.append(_field("code", "lower-case letters, digits and _, starting with a letter"))
    elif session.scalar(select(ServiceModel).where(func.lower(ServiceModel.code) == code)):
        errors.append(_field("code", f"a service model '{code}' already exists"))
    if not name or len(name) > 200:
        errors.append(_field("name", "required, at most 200 characters"))
    try:
        scorecard = starter_scorecard(code or "model", starter)
    except Refused as exc:
        errors += exc.problems
    if errors:
        raise TreeRefused(*errors)
    template = scorecard_to_dict(scorecard)
    model = ServiceModel(code=code, name=name, builtin=False, template=template)
    session.add(model)
    session.flush()
    record(session, actor, "service_model.create", "service_model", code,
           after={"name": name, "template": template})
    return model
