"""A unit's service catalog: its services, each one's owner and offerings, each offering's
service level targets and the month's result against each (met, missed, no result), and
what it does with customer-introduced variability (each kind reduced or accommodated, as
the unit stated it or its template proposes; ``web.variability`` is where it is stated).

Any month can be shown (``?period=``): a closed month as its close froze the catalog (a
later owner, offering or target never changes it), an open one as the catalog stands
today with the results imported so far. Roles and scopes are the unit page's: everyone
signed in, a unit head only for their units and the units below them.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from chargeback.access import ALL_ROLES, may_state_variability
from chargeback.extensions import db
from chargeback.services.queries import service_levels, variability
from chargeback.services.queries import tree as units_tree
from chargeback.web.guards import roles, unit_or_403
from chargeback.web.portfolio import printable
from rules.variability import KIND_WORDS

bp = Blueprint("service_catalog", __name__, template_folder="templates")


@bp.route("/units/<code>/catalog")
@roles(*ALL_ROLES)
def show(code: str):
    if not units_tree.plausible_code(code):
        abort(404)
    unit = unit_or_403(code)
    months = service_levels.months(db.session)
    period, warnings = _period(months)
    catalog = service_levels.catalog_of(db.session, unit.code, period) if period else None
    stances = (variability.of_month(db.session, unit, period, catalog.frozen)
               if catalog else {})
    below = service_levels.units_below(db.session, unit.code, catalog) if catalog else []
    return render_template("units/catalog.html", unit=unit, months=months, period=period,
                           warnings=warnings, catalog=catalog, below=below,
                           status=dict(months).get(period), stances=stances,
                           variability_kinds=KIND_WORDS,
                           may_state=may_state_variability(db.session, current_user, unit))


def _period(months: list[tuple[str, str]]) -> tuple[str | None, list[str]]:
    """``?period=`` if it is a month there is, else the default month (with a warning)."""
    asked = (request.args.get("period") or "").strip()
    default = service_levels.default_month(db.session)
    if not asked or asked in dict(months):
        return asked or default, []
    shown = f"showing {default}" if default else "no month has data yet"
    return default, [f"{printable(asked, 20)} is not a month with data: {shown}."]
