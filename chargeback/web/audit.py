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
from chargeback.web import downloads
from chargeback.web.data import when
from chargeback.web.guards import roles

EXPORT_LIMIT = 1_000_000  # rows: an XLSX sheet holds 1,048,576

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.get("/audit")
@roles(*MANAGE)
def index():
    spec = trail.spec(db.session)
    asked = listing.parse(spec, request.args)
    return render_template("audit/index.html", spec=spec, asked=asked,
                           page=trail.page(db.session, spec, asked))


@bp.get(f"/audit/export.<any({downloads.FORMATS}):fmt>")
@roles(*MANAGE)
def export(fmt: str):
    """The entries the search and filters keep, in the order asked, every page of them (at
    most ``EXPORT_LIMIT``): one row per entry, its changes as ``field: before -> after``."""
    from reports.export import Section, text_columns

    spec = trail.spec(db.session)
    asked = listing.parse(spec, request.args)
    columns = (*text_columns("When (UTC)", "Who", "Action", "Entity", "Subject", width=20),
               *text_columns("Why", "Before -> after", width=60),
               *text_columns("Rows", "Errors", width=8))
    rows = [(when(e.at), e.actor, e.action, e.entity, e.subject, e.reason or "",
             "; ".join(f"{name}: {old or '-'} -> {new or '-'}" for name, old, new in e.changes),
             "" if e.rows is None else str(e.rows), "" if e.errors is None else str(e.errors))
            for e in trail.every(db.session, spec, asked, EXPORT_LIMIT)]
    return downloads.send(fmt, "audit-trail", [Section("Audit trail", columns, rows)])
