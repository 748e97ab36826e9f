"""API fixtures: the web tests' company (2026-03 closed) and users, and bearer tokens."""

from __future__ import annotations

import pytest

from chargeback.extensions import db
from chargeback.services import tokens
from tests.chargeback.web.conftest import (  # noqa: F401  (fixtures shared with the web tests)
    PASSWORD,
    USERS,
    company,
    signed_in,
    users,
)

__all__ = ["PASSWORD", "USERS"]


@pytest.fixture
def bearer(users):  # noqa: F811
    """``bearer("finance")`` -> the headers of a new token of that user."""

    def make(who: str) -> dict[str, str]:
        _, plaintext = tokens.create(db.session, users[who], f"{who} tests", "test")
        db.session.commit()
        return {"Authorization": f"Bearer {plaintext}"}

    return make


@pytest.fixture
def api(app, bearer):
    """``api("finance").get(url)``: a test client whose requests carry that user's token."""

    class Client:
        def __init__(self, who: str):
            self.client = app.test_client()
            self.headers = bearer(who)

        def __getattr__(self, method):
            call = getattr(self.client, method)

            def send(url, **kwargs):
                kwargs["headers"] = {**self.headers, **kwargs.get("headers", {})}
                return call(url, **kwargs)

            return send

    return Client
