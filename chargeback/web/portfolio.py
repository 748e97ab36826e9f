"""The portfolio: every unit of a closed period, each rated against its own scorecard.

Central IT, finance and admin see the whole tree; a unit head sees their units and the
units below them, and nothing else (a ``group`` outside their scope is a 403). Rows keep
tree order, never a ranking: the chart shows each unit's attainment in its own band, and
the comparison of two units explains their spend in the terms of their service models.
Figures come from ``services.queries.history.portfolio_of`` over the month as its close froze it,
the function the pack's sheet and the API use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, current_app, render_template, request

from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.refusals import NotFound
from chargeback.services.queries import (
    closed_month,
    history,
    periods,
    ratings,
    tree,
    yardsticks,
)
from chargeback.services.queries import portfolio as service
from chargeback.web import currency, downloads
from chargeback.web.guards import roles, visible_codes
from rules.money import one_decimal
from rules.tree import subtree
from rules.variability import KIND_WORDS

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


@dataclass
class Shown:
    """The portfolio as the page's arguments ask for it: the month, the user's rows, and
    the rows shown (within ``group``, of ``model``)."""

    period: str
    month: closed_month.ClosedMonth
    notes: tuple[str, ...]
    scoped: list
    rows: list
    group: str | None
    model: str | None
    models: dict[str, str]
    visible: set[str] | None
    warnings: list[str]


def _shown(closed: list[str]) -> Shown:
    """What the page and its download show: the same query, guard and arguments."""
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    visible = visible_codes()
    month = closed_month.load(db.session, period, current_app.config["CHARGEBACK_CURRENCY"])
    rows, notes, _ = history.portfolio_of(db.session, month)
    scoped = service.pick(rows, visible=visible)
    group = _group_arg(month, visible, warnings)
    models = month.models()
    model = _model_arg(models, warnings)
    within = subtree(month.parents(), group) if group else None
    shown = service.pick(scoped, within=within, model=model)
    notes = service.notes_shown(notes, visible=visible, within=within, model=model)
    return Shown(period, month, notes, scoped, shown, group, model, models, visible, warnings)


@bp.route("/portfolio")
@roles(*ALL_ROLES)
def index():
    closed = periods.closed(db.session)
    if not closed:
        return render_template("portfolio/index.html", period=None)
    view = _shown(closed)
    shown, month, visible = view.rows, view.month, view.visible
    return render_template(
        "portfolio/index.html", period=view.period, closed=closed, rows=shown,
        base_depth=min((r.depth for r in shown), default=0), notes=view.notes,
        group=view.group, model=view.model, groups=[r for r in view.scoped if r.is_group],
        models=view.models, warnings=view.warnings, filtered=bool(view.group or view.model),
        whole_tree=visible is None, has_scope=visible is None or bool(visible),
        standings=service.standings(shown), can_compare=len(view.scoped) >= 2,
        currency=month.currency,
        attainment_chart=_attainment_chart(shown, month),
        trend=_trend(closed, month, shown), limits=_limits(month))


@bp.get(f"/portfolio/export.<any({downloads.FORMATS}):fmt>")
@roles(*ALL_ROLES)
def export(fmt: str):
    """The rows the page shows (the user's units, the group and model asked for) in the
    pack's Portfolio columns, from the month as its close froze it."""
    from reports.export import Section
    from reports.sheets import portfolio as sheet

    closed = periods.closed(db.session)
    if not closed:
        raise NotFound("No period is closed yet: the portfolio shows closed months.",
                       kind="period")
    view = _shown(closed)
    name = "-".join(part for part in ("portfolio", view.period, view.group, view.model)
                    if part)
    return downloads.send(fmt, name, [Section(sheet.TITLE, sheet.COLUMNS,
                                              [sheet.values(row) for row in view.rows])])


@bp.route("/portfolio/compare")
@roles(*ALL_ROLES)
def compare():
    """Two units side by side: what each is rated on and how it did; never a winner."""
    closed = periods.closed(db.session)
    if not closed:
        return render_template("portfolio/compare.html", period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    visible = visible_codes()
    month = closed_month.load(db.session, period, current_app.config["CHARGEBACK_CURRENCY"])
    rows, _ = service.rows(month)
    scoped = service.pick(rows, visible=visible)
    a, b = (_unit_arg(key, month, visible, warnings) for key in ("a", "b"))
    comparison, crossed, by_template = None, (), ()
    templates = tree.service_model_names(db.session)
    template = _template_arg(templates, warnings)
    if a and b and a == b:
        warnings.append("Choose two different units to compare.")
    elif a and b:
        comparison = service.compare(db.session, month, rows, a, b)
        book = yardsticks.Book(db.session, month)
        crossed = yardsticks.each_by_other(book, a, b)
        if template:
            by_template = tuple(yardsticks.attempt(book, code, template=template)
                                for code in (a, b))
    return render_template("portfolio/compare.html", period=period, closed=closed,
                           choices=scoped, a=a, b=b, comparison=comparison, warnings=warnings,
                           crossed=crossed, templates=templates, template=template,
                           by_template=by_template, variability_kinds=KIND_WORDS)


# --- query arguments: a bad value is a warning on the page, never an error ---------------


def choose_period(closed: list[str], warnings: list[str]) -> str:
    """``?period=`` if it is a closed period, else the latest closed one (with a warning).
    The page's amounts are then shown in that month's own currency."""
    asked = (request.args.get("period") or "").strip()
    if asked and asked not in closed:
        warnings.append(f"{printable(asked, 20)} is not a closed period: showing "
                        f"{closed[0]}, the latest closed period.")
    chosen = asked if asked in closed else closed[0]
    currency.for_period(chosen)
    return chosen


def printable(value: str, limit: int = 64) -> str:
    """A query value as a warning may quote it: cut short, control characters left out."""
    return "".join(ch for ch in value[:limit] if ch.isprintable())


def _known_unit(code: str, visible: set[str] | None, warnings: list[str]) -> bool:
    """False (with a warning) for a code no unit has; 403 for a unit outside the scope."""
    if tree.unit_by_code(db.session, code) is None:
        warnings.append(f"There is no unit {printable(code)}.")
        return False
    if visible is not None and code not in visible:
        abort(403)
    return True


def _group_arg(month: closed_month.ClosedMonth, visible: set[str] | None,
               warnings: list[str]) -> str | None:
    code = (request.args.get("group") or "").strip()
    if not code or not _known_unit(code, visible, warnings):
        return None
    if code not in month.tree:
        warnings.append(f"{code} was not in the tree when {month.period} closed: showing "
                        "every unit.")
        return None
    return code


def _unit_arg(key: str, month: closed_month.ClosedMonth, visible: set[str] | None,
              warnings: list[str]) -> str | None:
    code = (request.args.get(key) or "").strip()
    if not code or not _known_unit(code, visible, warnings):
        return None
    if code not in month.tree:
        warnings.append(f"{code} was not in the tree when {month.period} closed.")
        return None
    return code


def _template_arg(models: dict[str, str], warnings: list[str]) -> str | None:
    """``?template=``: a service model whose template judges both units (a what-if)."""
    code = (request.args.get("template") or "").strip()
    if code and code not in models:
        warnings.append(f"There is no service model {printable(code)} to judge by.")
        return None
    return code or None


def _model_arg(models: dict[str, str], warnings: list[str]) -> str | None:
    code = (request.args.get("model") or "").strip()
    if code and code not in models:
        warnings.append(f"There is no service model {printable(code)}: showing every model.")
        return None
    return code or None


# --- chart data (JSON blocks read by static/charts.js; no inline script) -----------------


def _limits(month: closed_month.ClosedMonth) -> dict[str, str]:
    """Band limits for the charts: the ones the month was closed with."""
    return {"exceeds": str(month.limits.exceeds), "meets": str(month.limits.meets),
            "watch": str(month.limits.watch)}


def _tenths(value) -> str | None:
    return None if value is None else str(one_decimal(value))


def _attainment_chart(rows, month: closed_month.ClosedMonth) -> dict:
    """Each unit's attainment against its own scorecard, in tree order (not sorted)."""
    units = []
    for row in rows:
        attainment, band = service.own_attainment(row)
        if attainment is not None:
            units.append({"code": row.unit, "name": row.name, "value": _tenths(attainment),
                          "band": band})
    return {"units": units, "thresholds": _limits(month),
            "unrated": [r.unit for r in rows if service.standing(r)[0] is None],
            "rolled_up": [r.unit for r in rows if service.own_attainment(r)[0] is None
                          and service.standing(r)[0] is not None]}


def _trend(closed: list[str], month: closed_month.ClosedMonth, rows) -> dict:
    """The last 12 closed months of each shown unit's own attainment, up to this one."""
    window = periods.window(closed, month.period)
    found = ratings.history(db.session, window, [r.unit for r in rows])
    units = []
    for row in rows:
        by_period = found.get(row.unit)
        if by_period:
            units.append({"code": row.unit, "name": row.name, "values": [
                _tenths(by_period[p][0]) if p in by_period else None for p in window],
                "bands": [by_period[p][1] if p in by_period else None for p in window]})
    return {"periods": window, "units": units, "thresholds": _limits(month)}
