"""The JSON API under ``/api/v1``: what finance systems and scripts pull and push.

flask-smorest blueprints, one per group of resources, with marshmallow schemas shared by
input and output; the OpenAPI 3 document at ``/api/openapi.json`` and Swagger UI, served
from the app itself (no CDN), at ``/api/docs``. Requests authenticate with a personal
token (``Authorization: Bearer ...``), never a cookie, so the API blueprints are exempt
from CSRF. Roles and unit scopes are the web app's. See ``docs/api.md``.
"""

from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Flask, render_template, url_for
from werkzeug.routing import BaseConverter, BuildError, IntegerConverter

from rules.vocabulary import PERIOD_ANCHORED, PERIOD_PATTERN

docs_page = FlaskBlueprint("api_docs", __name__, template_folder="templates",
                           static_folder="static", static_url_path="/api/docs/static")


class PeriodConverter(BaseConverter):
    """``YYYY-MM`` in a URL; anything else does not match the route (404)."""

    regex = PERIOD_PATTERN


class CodeConverter(BaseConverter):
    """A unit code in a URL: 1 to 64 characters, no slash."""

    regex = r"[^/]{1,64}"


class IdConverter(IntegerConverter):
    """A row id: 1 to 2**31 - 1, so no id overflows a database integer."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)


CONVERTERS = {
    "period": (PeriodConverter, {"type": "string", "pattern": PERIOD_ANCHORED,
                                 "example": "2026-03"}),
    "code": (CodeConverter, {"type": "string", "minLength": 1, "maxLength": 64,
                             "example": "ALT"}),
    "id": (IdConverter, {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "example": 1}),
}


@docs_page.route("/api/docs")
def docs():
    """Human docs: Swagger UI on the app's own OpenAPI document (public, like the spec)."""
    from flask import current_app

    try:
        profile_url = url_for("profile.index")
    except BuildError:
        profile_url = "/profile"
    return render_template("api/docs.html", title=current_app.config["API_TITLE"],
                           version=current_app.config["API_VERSION"],
                           spec_url=url_for("api-docs.openapi_json"), profile_url=profile_url)


def register_api(app: Flask) -> None:
    """Bind flask-smorest and register the API blueprints (after ``register_web``)."""
    from chargeback.api import (
        catalog,
        chains,
        imports,
        periods,
        results,
        scorecards,
        service_catalog,
        statements,
        variability,
    )
    from chargeback.api.extension import make_api
    from chargeback.extensions import csrf

    api = make_api(app)
    for name, (converter, param_schema) in CONVERTERS.items():
        app.url_map.converters[name] = converter
        api.register_converter(converter, lambda _converter, doc=param_schema: dict(doc))
    for module in (catalog, service_catalog, imports, scorecards, periods, results,
                   statements, variability, chains):
        csrf.exempt(module.bp)
        api.register_blueprint(module.bp)
    app.register_blueprint(docs_page)
    app.extensions["chargeback-api"] = api
