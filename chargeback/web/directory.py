"""The Consumers and Services lists: who is charged, and what units offer at which price.

Both are scoped like the unit pages: a unit head sees the consumers that are their units
(and the units below them) and the services those units offer; the other roles see all.
Search, filters, sort and page are query parameters (``services.queries.listing``).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from chargeback import access
from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.services.queries import catalog, listing
from chargeback.services.queries import consumers as consumer_list
from chargeback.web.guards import roles

bp = Blueprint("directory", __name__, template_folder="templates")


@bp.get("/consumers")
@roles(*ALL_ROLES)
def consumers():
    scope = access.visible_ids(db.session, current_user)
    asked = listing.parse(consumer_list.LIST, request.args)
    return render_template("directory/consumers.html", spec=consumer_list.LIST, asked=asked,
                           page=consumer_list.page(db.session, scope, asked),
                           visible=access.visible_codes(db.session, current_user),
                           whole=scope is None)


@bp.get("/services")
@roles(*ALL_ROLES)
def services():
    scope = access.visible_ids(db.session, current_user)
    spec = catalog.list_spec(catalog.providers(db.session, scope))
    asked = listing.parse(spec, request.args)
    page, prices = catalog.services_page(db.session, scope, spec, asked)
    return render_template("directory/services.html", spec=spec, asked=asked, page=page,
                           prices=prices, whole=scope is None)
