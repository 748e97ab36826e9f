"""The flask-smorest ``Api`` of one app, its blueprints' argument parser, and the error shape.

Every API error, whoever raises it (a view, webargs' validation, Flask's routing, an
unexpected exception), answers one JSON shape::

    {"message": "what went wrong, in a sentence", "errors": {"field": ["message", ...]}}

``errors`` is empty when no field is to blame; a refused import adds its ``batch``.
Request bodies are read with decimals kept exact (``4.5`` is ``Decimal("4.5")``, never a
float), within the JSON limits (``chargeback.safe_json``: size, depth, count, a key twice;
413 for a body too large, 400 for one refused, ``errors.body`` saying why), and every
figure goes back out as a decimal string.
"""

from __future__ import annotations

import http
import threading
from collections.abc import Iterable
from typing import NoReturn

import flask_smorest
from flask import Flask, current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from chargeback.api.fields import DecimalString, Timestamp
from chargeback.api.schemas import ErrorSchema
from chargeback.refusals import Problem, Refused
from chargeback.safe_json import JsonLimits, JsonRefused, check_size, loads

API_PREFIX = "/api/"
LOCATIONS = ("json", "query", "querystring", "form", "files", "path", "view_args", "headers",
             "cookies")
SECURITY = {"bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal API token (`cb_...`), made on the "
                                          "profile page or with `chargeback token create`."}}


class ExactParser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies with ``chargeback.safe_json`` within the
    app's limits: a body above ``CHARGEBACK_JSON_MAX_BYTES`` is refused (413) before it is
    read."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        limits = JsonLimits.from_config(current_app.config)
        try:
            check_size(req.content_length or 0, limits)
        except JsonRefused as exc:
            _refuse_body(exc)
        req.max_content_length = limits.max_bytes  # a body without a length, as it streams
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        try:
            return loads(data, limits)
        except JsonRefused as exc:
            _refuse_body(exc)


def _refuse_body(refusal: JsonRefused) -> NoReturn:
    if refusal.too_large:
        flask_smorest.abort(413, message=refusal.reason, errors={"body": [refusal.message]})
    flask_smorest.abort(400, message="The request body is not accepted as JSON: "
                        f"{refusal.message}", errors={"body": [refusal.message]})


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: exact decimals in, documented errors out."""

    ARGUMENTS_PARSER = ExactParser()


class ChargebackApi(flask_smorest.Api):
    """flask-smorest's Api with the project's error shape and without a catch-all
    ``default`` response: every status an operation answers is documented on it."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, *args, **kwargs):
        self._undocumented: list[tuple] = []  # blueprints routed, not yet in the document
        self._documenting = threading.Lock()
        self._describer: int | None = None  # the thread describing them, while it does
        super().__init__(*args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Route the blueprint now; describe it in the OpenAPI document when the document is
        first read (``spec``), not at start-up: describing the API's operations (their
        schemas deep-copied and turned into OpenAPI) was a fifth of a whole app's start-up,
        and only ``/api/openapi.json``, ``/api/docs`` and ``chargeback openapi`` read it.
        The document is the same either way: the blueprints go in in the order they were
        registered, each with its tag, as flask-smorest's own ``register_blueprint`` does."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    @property
    def spec(self):
        """The OpenAPI document (apispec's ``APISpec``), with every blueprint in it."""
        if self._undocumented and self._describer != threading.get_ident():
            self._document()
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def _document(self) -> None:
        """The blueprints not yet described, in their order, once (two first requests at
        once: the second waits for the first's document)."""
        with self._documenting:
            self._describer = threading.get_ident()  # its own reads of spec go through
            try:
                while self._undocumented:
                    blp, name, parameters = self._undocumented[0]
                    blp.register_views_in_doc(self, self._app, self._spec, name=name,
                                              parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                    self._undocumented.pop(0)
            finally:
                self._describer = None

    def _register_error_handlers(self):
        """API paths get JSON errors; the web app keeps its own error pages."""
        route_errors(self._app, self.handle_http_exception)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = flatten(data.get("errors", data.get("messages", {})))
        message = data.get("message") or _default_message(error, errors)
        payload = {"message": message, "errors": errors, **data.get("extra", {})}
        headers = dict(data.get("headers") or {})
        if error.code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="chargeback"')
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers.setdefault("Allow", ", ".join(error.valid_methods))
        return payload, error.code, headers


def _default_message(error: HTTPException, errors: dict) -> str:
    if error.code == 422 and errors:
        return "The request is not valid: see errors for each field."
    if error.code == 400 and errors:
        return "The request body is not valid JSON."
    if error.code == 500:
        return "Something went wrong on the server; it was logged and nothing was saved."
    return error.description or http.HTTPStatus(error.code).phrase


def flatten(messages, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"criteria.0.target": ["..."]}``; the request
    location (json, query, ...) is left out of the names."""
    found: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "" if key == "_schema" or (not path and key in LOCATIONS) else str(key)
            for field, texts in flatten(value, ".".join(p for p in (path, name) if p)).items():
                found.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            if messages:
                found.setdefault(path or "request", []).extend(messages)
        else:
            for index, item in enumerate(messages):
                for field, texts in flatten(item, f"{path}.{index}" if path else str(index)
                                            ).items():
                    found.setdefault(field, []).extend(texts)
    elif messages not in (None, ""):
        found.setdefault(path or "request", []).append(str(messages))
    return found


REFUSAL_STATUS = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}


def problem_errors(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """Refusal problems keyed as the request names them: ``line 3`` for a file's line,
    ``criteria.0.target`` for a criterion's field, the field's own name otherwise."""
    found: dict[str, list[str]] = {}
    for p in problems:
        if p.line is not None:
            name, text = f"line {p.line}", f"{p.column}: {p.message}" if p.column else p.message
        elif p.position is not None:
            parts = ["criteria", str(p.position - 1)]
            if p.band is not None:
                parts += ["bands", str(p.band - 1)]
            if p.field and not (p.band is not None and p.field == "bands"):
                parts.append(p.field)
            name, text = ".".join(parts), p.message
        else:
            name, text = p.field or "request", p.message
        found.setdefault(name, []).append(text)
    return found


def refusal_answer(error: Refused):
    """A service's refusal in the API's error shape."""
    status = REFUSAL_STATUS.get(error.reason, 422)
    return {"message": "; ".join(error.messages), "errors": problem_errors(error.problems)}, \
        status


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def route_errors(app: Flask, api_handler) -> None:
    """Send the errors of ``/api/...`` requests to ``api_handler`` and leave the others to
    the handlers already registered (the web app's pages), or to Flask's default.

    Flask picks a handler registered for a status code before one registered for
    ``HTTPException``, so the web app's 403/404/500 pages would otherwise answer API
    requests too; this wraps each of them. ``register_api`` runs after ``register_web``.
    """
    spec = app.error_handler_spec[None]
    for code, exc_class in default_exceptions.items():
        previous = spec.get(code, {}).get(exc_class)

        def handler(error, previous=previous):
            if is_api_request():
                if not isinstance(error, HTTPException):
                    error = InternalServerError(original_exception=error)
                return api_handler(error)
            if previous is not None:
                return previous(error)
            return error

        app.register_error_handler(code, handler)

    def any_http_error(error: HTTPException):
        return api_handler(error) if is_api_request() else error

    app.register_error_handler(HTTPException, any_http_error)


def make_api(app: Flask) -> ChargebackApi:
    """The Api of ``app`` (one per app: flask-smorest keeps its spec on the Api object)."""
    app.config.setdefault("API_TITLE", "Chargeback API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Finance systems and scripts pull the chargeback data: "
                                "units, scorecards, ratings, charges, the journal and "
                                "packs. Money and quantities are decimal strings. See "
                                "docs/api.md."},
        "components": {"securitySchemes": SECURITY},
        "security": [{"bearerAuth": []}],
    })
    api = ChargebackApi(app)
    api.register_field(DecimalString, "string", "decimal")
    api.register_field(Timestamp, "string", "date-time")
    return api
