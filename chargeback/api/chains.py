"""Service chains: the upstream services behind a service in a closed month, each with what
it charged along its link through the cascade and the share of that which reached the
service (``docs/chains.md``).

Read only from what the month's close froze, like every closed month's answer: a dependency
imported or removed later does not change it. An unknown month is 404, an open one 409. A
unit head reads the chains of their own units' services (403 otherwise); of an upstream
service of another unit they get what tracing needs: its code, name, unit code, what it
charged along its link, the share of that which reached the service, its own cost in the
chain and its service level results. Dependencies are entered by import
(``POST /imports/dependencies``).
"""

from __future__ import annotations

from flask import current_app

from chargeback import access as policy
from chargeback.access import ALL_ROLES
from chargeback.api.auth import access, current_user, errors, fail
from chargeback.api.extension import Blueprint
from chargeback.api.results import closed_period
from chargeback.api.schemas import ChainSchema
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services.queries import periods

bp = Blueprint("api_chains", __name__, url_prefix="/api/v1",
               description="Service chains: the upstream services behind a service, what "
                           "each charged along its link in a closed period and the share "
                           "of that which reached the service.")


def _service(s) -> dict:
    return {"code": s.code, "name": s.name, "unit": s.unit, "uom": s.uom}


def _levels(found) -> dict | None:
    """A service's targets met or missed in the month (the catalog's rule), or None."""
    if found is None:
        return None
    return {"counts": found.counts(), "offerings": found.offerings}


@bp.route("/services/<code:code>/chain/<period:period>")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.response(200, ChainSchema)
def chain(code: str, period: str):
    """Every service upstream of `code` (transitively), nearest first, each with the
    service it feeds, what it charged along the link in the closed `period` (their sum is
    `internal_charges_along_links`), the part of what `code`'s unit paid that it stands
    for (`reached_service`; the depth-1 links' sum is `upstream_cost_behind_service`) and
    its service level results: each offering's targets met, missed or without a result, as
    on the unit's catalog. `sources` breaks the upstream cost behind the service down by
    where it started: each upstream service's `own_cost_in_it`."""
    found = closed_period(period)
    try:
        chain = policy.chain_for(db.session, current_user(), found, code)
    except Refused as exc:
        fail(404 if exc.reason == "not_found" else 403, " ".join(exc.messages))
    return {"period": found, "currency": periods.currency_of(
                db.session, found, current_app.config["CHARGEBACK_CURRENCY"]),
            "service": _service(chain.service),
            "service_levels": _levels(chain.levels_of(chain.service.code)),
            "upstream": [{"depth": link.depth, "upstream": _service(link.upstream),
                          "feeds": link.downstream, "charged_along_link": link.amount,
                          "reached_service": link.reached,
                          "service_levels": _levels(chain.levels_of(link.upstream.code))}
                         for link in chain.links],
            "internal_charges_along_links": chain.total,
            "upstream_cost_behind_service": chain.total_reached,
            "sources": [{"upstream": _service(source.service),
                         "own_cost_in_it": source.own_cost} for source in chain.sources],
            "feeds": [_service(s) for s in chain.feeds]}
