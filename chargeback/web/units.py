"""The units: the tree a user may see, and one unit's page.

A unit's page shows its own money (spend by cost pool against budget over the closed
periods), what it charged in a period by consumer and by service, how each period's
rating came about criterion by criterion, and its services and rate cards. A unit head
opening a unit outside their subtree gets 403 (``unit_or_403``), not a hidden link.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import Unit
from chargeback.services import portfolio as service
from chargeback.web.access import ALL_ROLES, roles, unit_or_403
from chargeback.web.portfolio import choose_period, plausible_code, visible_codes

bp = Blueprint("units", __name__, template_folder="templates")

PAGE_SIZE = 50


@bp.route("/units")
@roles(*ALL_ROLES)
def index():
    """The tree of units the user may see, with each unit's latest rating."""
    visible = visible_codes()
    everyone = list(db.session.scalars(select(Unit)))
    code_of = {u.id: u.code for u in everyone}
    units = {u.code: u for u in everyone if visible is None or u.code in visible}
    parents = {code: code_of.get(u.parent_id) for code, u in units.items()}
    closed = service.closed_periods(db.session)
    latest = closed[0] if closed else None
    ratings = service.history(db.session, [latest], units) if latest else {}
    rows = [(units[code], depth, ratings.get(code, {}).get(latest))
            for code, depth in service.tree_order(parents)]
    return render_template("units/index.html", rows=rows, latest=latest,
                           models=service.model_names(db.session),
                           whole_tree=visible is None)


@bp.route("/units/<code>")
@roles(*ALL_ROLES)
def show(code: str):
    unit = _unit(code)
    closed = service.closed_periods(db.session)
    page_data = {"unit": unit, "models": service.model_names(db.session), "services": None,
                 "period": None}
    if not closed:
        page_data["services"] = service.services_of(db.session, unit.id, None)
        return render_template("units/show.html", **page_data)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    periods = service.window(closed, period)
    pools, months = service.spend_history(db.session, unit.id, periods)
    consumers = service.charges_by_consumer(db.session, unit.id, period)
    page, pages = page_arg(len(consumers))
    page_data.update(
        period=period, closed=closed, periods=periods, warnings=warnings, pools=pools,
        months=months, spend_chart=_spend_chart(pools, months),
        ratings=service.ratings_of(db.session, unit.id, unit.code, periods),
        by_service=service.charges_by_service(db.session, unit.id, period),
        consumers=consumers[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
        consumer_count=len(consumers), charged=sum((c.amount for c in consumers),
                                                   service.ZERO),
        page=page, pages=pages,
        services=service.services_of(db.session, unit.id, period))
    return render_template("units/show.html", **page_data)


@bp.route("/units/<code>/charges")
@roles(*ALL_ROLES)
def charges(code: str):
    """A unit's charge lines in a closed period, 50 a page, with how each was computed."""
    unit = _unit(code)
    closed = service.closed_periods(db.session)
    if not closed:
        return render_template("units/charges.html", unit=unit, period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    total = service.charge_count(db.session, unit.id, period)
    page, pages = page_arg(total)
    lines = service.charge_lines(db.session, unit.id, period, (page - 1) * PAGE_SIZE,
                                 PAGE_SIZE)
    return render_template("units/charges.html", unit=unit, period=period, closed=closed,
                           warnings=warnings, lines=lines, total=total, page=page,
                           pages=pages)


def _unit(code: str) -> Unit:
    """The unit of the URL: 404 for a code no unit could have, 403 outside the scope."""
    if not plausible_code(code):
        abort(404)
    return unit_or_403(code)


def page_arg(total: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """(page, pages) from ``?page=``: anything that is not a number is page 1, and a page
    past the end is the last one."""
    pages = max(1, -(-total // size))
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    return min(max(page, 1), pages), pages


def _money(value) -> str | None:
    return None if value is None else str(value)


def _spend_chart(pools: list[str], months: list[service.SpendMonth]) -> dict:
    """Spend by cost pool (stacked), internal charges received, and the budget line."""
    return {
        "periods": [m.period for m in months],
        "pools": [{"code": pool, "values": [_money(m.pools.get(pool)) for m in months]}
                  for pool in pools],
        "internal": [_money(m.internal) for m in months],
        "budget": [_money(m.budget) for m in months],
    }
