"""The chargeback platform: the only package that imports Flask.

``create_app`` only wires things together: the delivery layers (web pages, the JSON API,
the command line, the scheduler's jobs, the demo), which never import each other, and the
one unit of work per request. It runs no migration, starts no scheduler and touches no
file but the instance folder's secret key (see ``config``). ``docs/architecture.md`` is the
map.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict | None = None, *, web: bool = True,
               migrations: bool = True) -> Flask:
    """Build an app; ``config`` overrides what the environment says (tests use it).

    ``web=False`` is the app of a command that serves neither pages nor the API (an import,
    a close, the scheduler): the database, the settings and the commands, without the
    blueprints, flask-smorest, the templates and the security extensions (login, CSRF, rate
    limits, headers), whose imports are most of a whole app's start-up. ``migrations=False``
    leaves Flask-Migrate (and Alembic) out until ``bind_migrations`` is called. The console
    script picks both per command (``chargeback.cli.entry``); ``wsgi.py``,
    ``flask --app wsgi`` and the tests get the whole app.
    """
    with _no_collection():
        return _build(config, web, migrations)


@contextmanager
def _no_collection():
    """Python's cyclic garbage collector paused while the app is built: importing the
    layers makes a few hundred thousand objects, none of them garbage, and each collection
    of the oldest generation walked all of them (a tenth of a whole app's start-up)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(config: dict | None, web: bool, migrations: bool) -> Flask:
    from flask import Flask

    from chargeback import config as settings
    from chargeback import (
        models,  # noqa: F401  (registers every table on the metadata)
        unit_of_work,
    )
    from chargeback.cli import register_commands
    from chargeback.db_setup import configure_engine
    from chargeback.demo.cli import COMMANDS as DEMO_COMMANDS
    from chargeback.extensions import db
    from chargeback.jobs.cli import COMMANDS as JOB_COMMANDS

    app = Flask(__name__, instance_relative_config=True,
                static_folder="web/static" if web else None, template_folder="web/templates")
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["CHARGEBACK_SQLITE_BUSY_SECONDS"])
    register_commands(app)
    for command in JOB_COMMANDS + DEMO_COMMANDS:
        app.cli.add_command(command)
    unit_of_work.register(app)
    if migrations:
        bind_migrations(app)
    if web:
        _serve(app)
    return app


def bind_migrations(app: Flask) -> None:
    """Flask-Migrate on ``app`` (the ``db`` commands, ``flask_migrate.upgrade``), once.

    Separate from ``create_app`` because it imports Alembic: the demo, which migrates when
    it runs, binds it then rather than at start-up."""
    if "migrate" in app.extensions:
        return
    from chargeback.extensions import db, migrate

    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)


def _serve(app: Flask) -> None:
    """What a whole app adds: the pages and the API."""
    from chargeback.api import register_api
    from chargeback.web import register_web

    _request_limits(app)  # before the web app's CSRF check reads a form
    register_web(app)
    register_api(app)
    _answer_refusals(app)


REQUEST_MAX_BYTES = 1024 * 1024
"""The body of any request but an upload: forms are small (and Flask holds a form field to
500 KB); a JSON body gets ``CHARGEBACK_JSON_MAX_BYTES`` from the API's parser."""
UPLOAD_ENDPOINTS = frozenset({"data.imports", "imports.upload"})
"""The routes that take a file: up to ``CHARGEBACK_UPLOAD_MAX_BYTES``."""


def _request_limits(app: Flask) -> None:
    """A request body is read only up to its route's limit (413 beyond it): an upload up to
    ``MAX_CONTENT_LENGTH`` (``CHARGEBACK_UPLOAD_MAX_BYTES``), anything else 1 MiB, so a
    sign-in form cannot be sent half a gigabyte to parse."""
    from flask import request

    @app.before_request
    def body_limit():
        if request.endpoint not in UPLOAD_ENDPOINTS:
            ceiling = app.config.get("MAX_CONTENT_LENGTH") or REQUEST_MAX_BYTES
            request.max_content_length = min(ceiling, REQUEST_MAX_BYTES)


def _answer_refusals(app: Flask) -> None:
    """A refusal no view handled is answered in the asker's language: the API's JSON error
    under ``/api/``, the web app's error page elsewhere. A deadlock the database broke is a
    refusal too (409, try again); any other database error stays a 500."""
    from sqlalchemy.exc import DBAPIError

    from chargeback.api.extension import is_api_request, refusal_answer
    from chargeback.db_setup import is_contention
    from chargeback.refusals import Refused, contention
    from chargeback.web.guards import refusal_page

    def refused(error: Refused):
        return refusal_answer(error) if is_api_request() else refusal_page(error)

    def database_error(error: DBAPIError):
        if not is_contention(error):
            raise error
        return refused(contention())

    app.register_error_handler(Refused, refused)
    app.register_error_handler(DBAPIError, database_error)


def main() -> None:
    """The ``chargeback`` console script: Flask's command group bound to ``create_app``, which
    imports a command's module when that command is invoked and creates the app when the
    command runs, so ``--help`` and a command's own ``--help`` load neither the app nor the
    layers under it (``chargeback.cli.entry``)."""
    from chargeback.cli.entry import command_group

    command_group(make_app=create_app).main(prog_name="chargeback")
