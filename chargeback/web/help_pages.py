"""Help: one short page per role (what to do each month, what the bands mean, how a score
is computed, how charges are split) and the glossary, linked from every page.

The words come from ``reports.glossary``, the very list the pack's Cover explains, and the
band limits and close day are this deployment's own (settings and configuration), so the
help never tells a reader something the product does not do.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.refusals import NotFound
from chargeback.services import settings
from chargeback.services.calendar import from_config
from chargeback.web.guards import roles
from reports import glossary

bp = Blueprint("help", __name__)

TITLES = {"unit_head": "Unit heads", "central_it": "Central IT", "finance": "Finance",
          "admin": "Administrators"}


@bp.get("/help")
@roles(*ALL_ROLES)
def index():
    """The signed-in user's own role's page."""
    return redirect(url_for("help.role", role=current_user.role))


@bp.get("/help/<role>")
@roles(*ALL_ROLES)
def role(role: str):
    """Any role's page may be read by anyone signed in: help holds no figures."""
    if role not in TITLES:
        raise NotFound(f"There is no help for a role {role!r}.", kind="help")
    config = current_app.config
    return render_template(
        "help/role.html", role=role, titles=TITLES, limits=settings.thresholds(db.session),
        currency=settings.currency(db.session, config["CHARGEBACK_CURRENCY"]),
        close_day=config["CHARGEBACK_CLOSE_BUSINESS_DAY"],
        business_days=from_config(config).description,
        topics=[("scoring", "Scores and bands"), ("charges", "Charges"),
                ("packs", "Packs")],
        terms=glossary.by_topic)
