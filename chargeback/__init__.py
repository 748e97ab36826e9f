"""The chargeback platform: the only package that imports Flask.

``create_app`` only wires things together. It runs no migration, starts no scheduler and
touches no file but the instance folder's secret key (see ``config``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build an app; ``config`` overrides what the environment says (tests use it)."""
    from chargeback import config as settings
    from chargeback import models  # noqa: F401  (registers every table on the metadata)
    from chargeback.api import register_api
    from chargeback.cli import register_commands
    from chargeback.db_setup import configure_engine
    from chargeback.extensions import db, migrate
    from chargeback.web import register_web

    app = Flask(__name__, instance_relative_config=True, static_folder="web/static",
                template_folder="web/templates")
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    register_commands(app)
    register_web(app)
    register_api(app)
    return app
