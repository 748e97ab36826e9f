"""Consumer statements: each cost center's bill for a closed month, and its download.

The list shows every consumer of the month (as its close froze it) with what it was
billed, shown back, in all, and against the previous month; each row downloads the
consumer's statement workbook (``services.statements``), the one ``chargeback statements``
writes. Finance, central IT and admin see every consumer; a unit head the consumers that
are their units (or units below them): another consumer's statement is 403 (``access``).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_login import current_user

from chargeback import access
from chargeback.access import STATEMENT_ROLES
from chargeback.extensions import db
from chargeback.services import statements
from chargeback.services.queries import periods
from chargeback.services.queries import statements as statement_totals
from chargeback.services.queries.tree import plausible_code
from chargeback.web.guards import page_and_pages, roles
from chargeback.web.portfolio import choose_period
from rules.vocabulary import is_period

bp = Blueprint("statements", __name__, template_folder="templates")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


@bp.get("/statements")
@roles(*STATEMENT_ROLES)
def index():
    closed = periods.closed(db.session)
    if not closed:
        return render_template("statements/index.html", period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    scope = access.statement_scope(db.session, current_user)
    rows = statement_totals.totals(db.session, period, scope)
    page, pages = page_and_pages(len(rows), PAGE_SIZE)
    return render_template(
        "statements/index.html", period=period, closed=closed, warnings=warnings,
        rows=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], count=len(rows), page=page,
        pages=pages, every_consumer=scope is None,
        prior=statement_totals.prior_closed(db.session, period))


@bp.get("/statements/<period>/<consumer>")
@roles(*STATEMENT_ROLES)
def download(period: str, consumer: str):
    """The consumer's statement workbook, as an attachment: 404 for an unknown month or
    consumer, 409 for a month that is not closed, 403 outside a unit head's units."""
    if not is_period(period) or not plausible_code(consumer):
        abort(404)
    found = access.statement_for(db.session, current_user, period, consumer)
    statement = statements.build(db.session, period, found,
                                 current_app.config["CHARGEBACK_CURRENCY"])
    return send_file(io.BytesIO(statements.workbook_bytes(statement)), mimetype=XLSX_MIMETYPE,
                     as_attachment=True, download_name=statements.filename(statement),
                     max_age=0)
