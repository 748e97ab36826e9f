"""Web fixtures: the end-to-end company closed for 2026-03, one user per role, sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import User
from chargeback.services.users import create_user
from tests.chargeback.helpers import closed_company
from tests.conftest import FAST_HASH
from tests.snapshots import built_once

PASSWORD = "correct horse battery"
USERS = {
    "admin": ("admin@example.com", "admin", []),
    "central_it": ("cit@example.com", "central_it", []),
    "finance": ("fin@example.com", "finance", []),
    "unit_head": ("head@example.com", "unit_head", ["GRP"]),  # GRP, and ALT and LAB below it
    "other_head": ("ww@example.com", "unit_head", ["WW"]),
}


@pytest.fixture
def company(runner, app):
    """The end-to-end holding company, its scorecards and rules, and 2026-03 closed (built
    once per session, then restored: ``tests.snapshots``)."""
    closed_company(runner)
    return app


@pytest.fixture
def users(company):
    """One user per key of USERS (built once per session, then restored)."""

    def create():
        for email, role, units in USERS.values():
            create_user(db.session, email, role, PASSWORD, "test", units,
                        hash_method=FAST_HASH)
        db.session.commit()

    built_once("users", create)
    return {key: db.session.scalar(select(User).where(User.email == email))
            for key, (email, _, _) in USERS.items()}


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client, who: str):
    """Sign ``who`` (a key of USERS) in through the real form, CSRF token included."""
    email = USERS[who][0]
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def signed_in(app, users):
    """``signed_in("finance")`` -> a test client signed in as that user."""

    def make(who: str):
        return sign_in(app.test_client(), who)

    return make
