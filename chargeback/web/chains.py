"""A service's chain: the upstream services behind it in a closed month, each with what it
charged along its link through the cascade, the share of that which reached the service
(and its service level results, when imported).

The month is read only from what its close froze (``queries.chains``). A unit head opens
the chain of their own units' services; of an upstream service of a unit outside their
units they see what tracing needs (its code, name, unit code, what it charged along its
link, the share that reached the service, its own cost in the chain and its service level results), with no link to that unit's page (``access.chain_for``).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from chargeback import access
from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.services.queries import periods
from chargeback.services.queries import tree as units_tree
from chargeback.web.guards import roles, visible_codes
from chargeback.web.portfolio import choose_period

bp = Blueprint("chains", __name__, template_folder="templates")


@bp.route("/services/<code>/chain")
@roles(*ALL_ROLES)
def show(code: str):
    """``?period=`` a closed month (else the latest); 404 for a service the month did not
    have, 403 for one of a unit outside the user's units."""
    if not units_tree.plausible_code(code):
        abort(404)
    closed = periods.closed(db.session)
    if not closed:
        return render_template("chains/show.html", code=code, period=None, chain=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    chain = access.chain_for(db.session, current_user, period, code)
    visible = visible_codes()
    return render_template("chains/show.html", code=code, period=period, closed=closed,
                           warnings=warnings, chain=chain,
                           sees=lambda unit: visible is None or unit in visible)
