"""Fixtures: one migrated database per test session, emptied before each test.

``CHARGEBACK_TEST_DATABASE_URL`` picks the database (CI runs the suite on SQLite and again
on PostgreSQL); without it the suite uses a SQLite file in a temporary folder.

Data sets that take long to build (the end-to-end company, imported and closed) are built
once per session and restored for each test that asks for them: see ``tests.snapshots``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from chargeback import create_app
from chargeback.db_setup import drop_every_table
from chargeback.extensions import db
from chargeback.models import Base
from tests import snapshots

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
        with db.engine.begin() as connection:
            snapshots.drop_leftover_schemas(connection)
        drop_every_table(db.engine)
        upgrade()


@pytest.fixture(scope="session", autouse=True)
def snapshot_store(tmp_path_factory):
    """Where ``snapshots.built_once`` keeps its copies for the session."""
    store = snapshots.open_store(tmp_path_factory.mktemp("snapshots"))
    yield store
    snapshots.close_store()


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


class SharedApp:
    """One app for the session: building one (blueprints, routes, the OpenAPI document)
    takes 0.1-0.4 s and the suite needs one per test. The extensions are module-level
    objects that the last ``create_app`` configures (Talisman's HTTPS mode, the rate
    limiter's storage), so when a test builds an app of its own the shared one is built
    again before the next test."""

    def __init__(self, database_url: str, folder: Path):
        self.database_url, self.folder = database_url, folder
        self._build()

    def _build(self) -> None:
        self.app = create_app(_test_config(self.database_url, self.folder))
        _fresh_g_per_request(self.app)
        self.config = _copied(self.app.config)
        self.extensions = _extension_state()

    def fresh(self, tmp_path: Path):
        """The app as built, but for the files of ``tmp_path``."""
        if _extension_state() != self.extensions:
            self._build()
        self.app.config.clear()
        self.app.config.update(_copied(self.config))
        self.app.config.update(_test_config(self.database_url, tmp_path))
        return self.app


def _extension_state() -> dict:
    """What each extension object holds, by identity (its attributes are kept alive here,
    so ``is`` is reliable): requests change none of it, ``create_app`` does."""
    from chargeback import extensions

    return {name: _Same(vars(obj)) for name, obj in vars(extensions).items()
            if hasattr(obj, "init_app") and not isinstance(obj, type)}


class _Same:
    def __init__(self, attributes: dict):
        self.attributes = dict(attributes)

    def __eq__(self, other) -> bool:
        return (self.attributes.keys() == other.attributes.keys() and all(
            value is other.attributes[key] for key, value in self.attributes.items()))


def _copied(config) -> dict:
    try:
        return copy.deepcopy(dict(config))
    except Exception:  # a value that cannot be copied: keep the value itself
        return dict(config)


@pytest.fixture(scope="session")
def shared_app(migrated, tmp_path_factory) -> SharedApp:
    return SharedApp(migrated, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def app(shared_app, tmp_path):
    """The session's app as new: its configuration as built, pack files in this test's
    folder, the sign-in rate limits reset, the tables emptied; an app context pushed."""
    from chargeback.extensions import limiter

    app = shared_app.fresh(tmp_path)
    with app.app_context():
        limiter.reset()
        empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


def _fresh_g_per_request(app) -> None:
    """The test keeps an app context pushed, so requests would share one ``g``, where
    Flask-Login caches the user and Flask-WTF the CSRF token: one client's sign-in would
    leak into the next client's request. A real server has a context per request."""
    from flask import g

    def forget_previous_request():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    # first of all, before any hook of the app's that asks who is signed in
    app.before_request_funcs.setdefault(None, []).insert(0, forget_previous_request)


def empty_tables() -> None:
    """Every table empty but the built-in service models the migration seeds: plain
    DELETEs sent as they are (PostgreSQL: in one round trip), a third of the time the
    same statements built through SQLAlchemy took, paid by every test."""
    connection = db.session.connection()
    statements = _emptying_statements()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(";\n".join(statements))
    else:
        for statement in statements:
            connection.exec_driver_sql(statement)
    db.session.commit()


def _emptying_statements() -> list[str]:
    """Children first; the seeded service models stay."""
    quote = db.engine.dialect.identifier_preparer.quote
    return [f"DELETE FROM {quote(table.name)}"
            + (" WHERE NOT builtin" if table.name == "service_models" else "")
            for table in reversed(Base.metadata.sorted_tables)]


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def runner(app):
    """Runs commands in-process; ``result.stderr`` holds what went to stderr (click >= 8.2)."""
    return app.test_cli_runner()
