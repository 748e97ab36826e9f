"""The portfolio: every unit of a closed period, each rated against its own scorecard.

Central IT, finance and admin see the whole tree; a unit head sees their units and the
units below them, and nothing else (a ``group`` outside their scope is a 403). Rows keep
tree order, never a ranking: the chart shows each unit's attainment in its own band, and
the comparison of two units explains their spend in the terms of their service models.
Figures come from ``services.portfolio.rows``, the function the pack's sheet uses too.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit
from chargeback.services import portfolio as service
from chargeback.services.settings import thresholds, thresholds_of
from chargeback.web.access import ALL_ROLES, roles, visible_unit_ids
from rules.money import one_decimal

bp = Blueprint("portfolio", __name__, template_folder="templates")


@bp.app_template_filter("short_number")
def short_number(value) -> str:
    """A measured value as people write it: no exponent, at most four decimals."""
    if value is None:
        return "—"
    value = Decimal(value)
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return format(value.normalize(), ",f")


@bp.route("/portfolio")
@roles(*ALL_ROLES)
def index():
    closed = service.closed_periods(db.session)
    if not closed:
        return render_template("portfolio/index.html", period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    visible = visible_codes()
    stored = service.load(db.session, period)
    rows, notes = service.rows(db.session, stored)
    scoped = service.pick(rows, visible=visible)
    group = _group_arg(stored, visible, warnings)
    models = service.model_names(db.session)
    model = _model_arg(models, warnings)
    within = service.subtree(stored.parents(), group) if group else None
    shown = service.pick(scoped, within=within, model=model)
    return render_template(
        "portfolio/index.html", period=period, closed=closed, rows=shown,
        base_depth=min((r.depth for r in shown), default=0), notes=notes, group=group,
        model=model, groups=[r for r in scoped if r.is_group], models=models,
        warnings=warnings, filtered=bool(group or model), whole_tree=visible is None,
        has_scope=visible is None or bool(visible),
        attainment_chart=_attainment_chart(shown, period),
        trend=_trend(closed, period, shown), limits=_limits(period))


@bp.route("/portfolio/compare")
@roles(*ALL_ROLES)
def compare():
    """Two units side by side: what each is rated on and how it did; never a winner."""
    closed = service.closed_periods(db.session)
    if not closed:
        return render_template("portfolio/compare.html", period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    visible = visible_codes()
    stored = service.load(db.session, period)
    rows, _ = service.rows(db.session, stored)
    scoped = service.pick(rows, visible=visible)
    a, b = (_unit_arg(key, stored, visible, warnings) for key in ("a", "b"))
    comparison = None
    if a and b and a == b:
        warnings.append("Choose two different units to compare.")
    elif a and b:
        comparison = service.compare(db.session, stored, rows, a, b)
    return render_template("portfolio/compare.html", period=period, closed=closed,
                           choices=scoped, a=a, b=b, comparison=comparison, warnings=warnings)


# --- query arguments: a bad value is a warning on the page, never an error ---------------


def choose_period(closed: list[str], warnings: list[str]) -> str:
    """``?period=`` if it is a closed period, else the latest closed one (with a warning)."""
    asked = (request.args.get("period") or "").strip()
    if asked and asked not in closed:
        warnings.append(f"{printable(asked, 20)} is not a closed period: showing "
                        f"{closed[0]}, the latest closed period.")
    return asked if asked in closed else closed[0]


def visible_codes() -> set[str] | None:
    """None when the user sees every unit, else the codes of the units in their scope."""
    ids = visible_unit_ids(current_user)
    if ids is None:
        return None
    return set(db.session.scalars(select(Unit.code).where(Unit.id.in_(ids)))) if ids else set()


def printable(value: str, limit: int = 64) -> str:
    """A query value as a warning may quote it: cut short, control characters left out."""
    return "".join(ch for ch in value[:limit] if ch.isprintable())


def plausible_code(code: str) -> bool:
    """A code that may name a unit; others are not even looked up (PostgreSQL refuses NUL)."""
    return 0 < len(code) <= 64 and code.isprintable()


def _known_unit(code: str, visible: set[str] | None, warnings: list[str]) -> bool:
    """False (with a warning) for a code no unit has; 403 for a unit outside the scope."""
    if not plausible_code(code) or db.session.scalar(
            select(Unit.id).where(Unit.code == code)) is None:
        warnings.append(f"There is no unit {printable(code)}.")
        return False
    if visible is not None and code not in visible:
        abort(403)
    return True


def _group_arg(stored: service.StoredPeriod, visible: set[str] | None,
               warnings: list[str]) -> str | None:
    code = (request.args.get("group") or "").strip()
    if not code or not _known_unit(code, visible, warnings):
        return None
    if code not in stored.tree:
        warnings.append(f"{code} was not in the tree when {stored.period} closed: showing "
                        "every unit.")
        return None
    return code


def _unit_arg(key: str, stored: service.StoredPeriod, visible: set[str] | None,
              warnings: list[str]) -> str | None:
    code = (request.args.get(key) or "").strip()
    if not code or not _known_unit(code, visible, warnings):
        return None
    if code not in stored.tree:
        warnings.append(f"{code} was not in the tree when {stored.period} closed.")
        return None
    return code


def _model_arg(models: dict[str, str], warnings: list[str]) -> str | None:
    code = (request.args.get("model") or "").strip()
    if code and code not in models:
        warnings.append(f"There is no service model {printable(code)}: showing every model.")
        return None
    return code or None


# --- chart data (JSON blocks read by static/charts.js; no inline script) -----------------


def _limits(period: str | None = None) -> dict[str, str]:
    """Band limits for the charts: the ones a closed period was closed with."""
    limits = thresholds_of(db.session, period) if period else thresholds(db.session)
    return {"exceeds": str(limits.exceeds), "meets": str(limits.meets),
            "watch": str(limits.watch)}


def _tenths(value) -> str | None:
    return None if value is None else str(one_decimal(value))


def _attainment_chart(rows, period: str) -> dict:
    """Each unit's attainment against its own scorecard, in tree order (not sorted)."""
    units = []
    for row in rows:
        attainment, band = service.own_attainment(row)
        if attainment is not None:
            units.append({"code": row.unit, "name": row.name, "value": _tenths(attainment),
                          "band": band})
    return {"units": units, "thresholds": _limits(period),
            "unrated": [r.unit for r in rows if service.own_attainment(r)[0] is None]}


def _trend(closed: list[str], period: str, rows) -> dict:
    """The last 12 closed periods of each shown unit's own attainment."""
    periods = service.window(closed, period)
    found = service.history(db.session, periods, [r.unit for r in rows])
    units = []
    for row in rows:
        by_period = found.get(row.unit)
        if by_period:
            units.append({"code": row.unit, "name": row.name, "values": [
                _tenths(by_period[p][0]) if p in by_period else None for p in periods],
                "bands": [by_period[p][1] if p in by_period else None for p in periods]})
    return {"periods": periods, "units": units, "thresholds": _limits()}
