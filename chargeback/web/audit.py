"""The audit trail page (/audit): who did what, when and why, for central IT and admin.

Reopen reasons, approvals and sends back with their comments, imports (stored and refused
files) and the rows they replaced with before and after, settings, users and units: one
list, newest first, searched and filtered by action, unit and month
(``services.queries.audit``). Finance and unit heads get 403: the trail names people and
every unit.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from chargeback.access import MANAGE
from chargeback.extensions import db
from chargeback.services.queries import audit as trail
from chargeback.services.queries import listing
from chargeback.web.guards import roles

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.get("/audit")
@roles(*MANAGE)
def index():
    spec = trail.spec(db.session)
    asked = listing.parse(spec, request.args)
    return render_template("audit/index.html", spec=spec, asked=asked,
                           page=trail.page(db.session, spec, asked))
