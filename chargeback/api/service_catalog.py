"""A unit's service catalog in a month: owners, offerings, service level targets and the
month's results against them (``queries.service_levels``; docs/catalog.md).

Read-only: the catalog changes through imports (``offerings``, ``sla_targets``,
``sla_results``, ``services`` with ``owner_email``). A closed month answers as its close
froze the catalog. Roles and scopes are the unit's: a unit head, their units and below.
"""

from __future__ import annotations

from chargeback.access import ALL_ROLES
from chargeback.api.auth import access, errors, fail, unit_in_scope
from chargeback.api.extension import Blueprint
from chargeback.api.schemas import CatalogQuery, CatalogSchema
from chargeback.extensions import db
from chargeback.services.queries import service_levels

bp = Blueprint("service_catalog_api", __name__, url_prefix="/api/v1",
               description="Each unit's service catalog: owners, offerings, service level "
                           "targets and each month's results against them.")


@bp.route("/units/<code:code>/catalog")
@access(*ALL_ROLES)
@errors(404)
@bp.arguments(CatalogQuery, location="query")
@bp.response(200, CatalogSchema)
def unit_catalog(args: dict, code: str):
    """The unit's services in `?period` (default: the latest closed month, else the
    newest): each one's owner, offerings, every target checked against the offering's
    result or else the whole service's (`met`, `missed`, `no result`), and every result
    by the name a scorecard criterion reads it by."""
    unit = unit_in_scope(code)
    months = dict(service_levels.months(db.session))
    period = args.get("period") or service_levels.default_month(db.session)
    if period is None or period not in months:
        fail(404, f"There is no month {period}: a month exists once data is imported "
                  "for it." if period else "No month has data yet.")
    catalog = service_levels.catalog_of(db.session, unit.code, period)
    return {"unit": unit.code, "period": period, "frozen": catalog.frozen,
            "services": [{"code": s.code, "name": s.name, "uom": s.uom, "unit": s.unit,
                          "owner_email": s.owner_email, "offerings": s.offerings,
                          "results": s.results, "counts": s.counts()}
                         for s in catalog.services]}
