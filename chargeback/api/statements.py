"""Consumer statements of a closed month: each cost center's bill, listed and downloaded.

``GET /periods/{period}/statements`` lists every consumer of the month (as its close froze
it) with what it was billed and shown back, and the previous month's total;
``GET /periods/{period}/statements/{consumer}`` is the consumer's statement workbook, the
one ``chargeback statements`` writes. Finance, central IT and admin read every consumer's;
a unit head those of the consumers that are their units (or units below them): another
consumer's is 403. An unknown month or consumer is 404, a month that is not closed 409.
"""

from __future__ import annotations

import io

from flask import current_app, send_file, url_for

from chargeback import access as policy
from chargeback.access import STATEMENT_ROLES
from chargeback.api.auth import access, current_user, errors
from chargeback.api.extension import Blueprint
from chargeback.api.schemas import StatementsSchema
from chargeback.extensions import db
from chargeback.services import statements
from chargeback.services.queries import statements as statement_totals

bp = Blueprint("consumer_statements", __name__, url_prefix="/api/v1",
               description="Consumer statements: each cost center's bill for a closed month.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _currency() -> str:
    return current_app.config["CHARGEBACK_CURRENCY"]


@bp.route("/periods/<period:period>/statements")
@access(*STATEMENT_ROLES)
@errors(404, 409)
@bp.response(200, StatementsSchema)
def statements_list(period: str):
    """Every consumer of a closed month with its billed, showback and total, and the
    previous month's total (null when that month is not closed), by consumer code. A unit
    head gets the consumers that are their units."""
    head = statements.header(db.session, period, _currency())
    scope = policy.statement_scope(db.session, current_user())
    rows = statement_totals.totals(db.session, period, scope)
    return {"period": period, "revision": head.revision, "currency": head.currency,
            "prior_period": statement_totals.prior_closed(db.session, period),
            "items": [{"consumer": t.consumer.code, "name": t.consumer.name,
                       "gl_account": t.consumer.gl_account, "unit": t.consumer.unit,
                       "billed": t.billed, "showback": t.showback, "total": t.total,
                       "prior_total": t.prior_total, "change": t.change,
                       "download_url": url_for("consumer_statements.statement_download",
                                               period=period, consumer=t.consumer.code)}
                      for t in rows]}


@bp.route("/periods/<period:period>/statements/<code:consumer>")
@access(*STATEMENT_ROLES)
@errors(404, 409)
@bp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX,
             description="The consumer's statement workbook, as an attachment")
def statement_download(period: str, consumer: str):
    """The consumer's statement of a closed month (XLSX): every charge line to it by
    providing unit and service, subtotals by unit, billed, showback and total."""
    found = policy.statement_for(db.session, current_user(), period, consumer)
    statement = statements.build(db.session, period, found, _currency())
    return send_file(io.BytesIO(statements.workbook_bytes(statement)), mimetype=XLSX,
                     as_attachment=True, download_name=statements.filename(statement),
                     max_age=0)
