"""Fixtures: one migrated database per test session, emptied before each test.

``CHARGEBACK_TEST_DATABASE_URL`` picks the database (CI runs the suite on SQLite and again
on PostgreSQL); without it the suite uses a SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import delete

from chargeback import create_app
from chargeback.db_setup import drop_every_table
from chargeback.extensions import db
from chargeback.models import Base, ServiceModel

TEST_DATABASE_URL = os.environ.get("CHARGEBACK_TEST_DATABASE_URL")
FAST_HASH = "scrypt:1024:8:1"  # the real cost, 32768, is slow


def pytest_report_header(config):
    return f"database: {TEST_DATABASE_URL or 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def reset_schema(app) -> None:
    """Drop whatever an earlier run left, then migrate to head (the seed included)."""
    from flask_migrate import upgrade

    with app.app_context():
        drop_every_table(db.engine)
        upgrade()


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    reset_schema(app)
    return database_url


def _test_config(database_url: str, folder: Path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _normalise(database_url),
        "SECRET_KEY": "test-only-key",
        "CHARGEBACK_PACK_DIR": str(folder / "packs"),
        "WTF_CSRF_ENABLED": True,
        "CHARGEBACK_PASSWORD_HASH": FAST_HASH,
    }


def _normalise(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
        "postgresql://") else url


@pytest.fixture
def app(migrated, tmp_path):
    app = create_app(_test_config(migrated, tmp_path))
    _fresh_g_per_request(app)
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


def _fresh_g_per_request(app) -> None:
    """The test keeps an app context pushed, so requests would share one ``g``, where
    Flask-Login caches the user and Flask-WTF the CSRF token: one client's sign-in would
    leak into the next client's request. A real server has a context per request."""
    from flask import g

    @app.before_request
    def forget_previous_request():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)


def empty_tables() -> None:
    """Every table empty but the built-in service models the migration seeds."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name == "service_models":
            db.session.execute(delete(ServiceModel).where(ServiceModel.builtin.is_(False)))
        else:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def runner(app):
    """Runs commands in-process; ``result.stderr`` holds what went to stderr (click >= 8.2)."""
    return app.test_cli_runner()
