"""The profile page: personal API tokens made (shown once), listed and revoked."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from chargeback.models import ApiToken
from chargeback.services import tokens
from tests.chargeback.web.conftest import csrf_from


@pytest.fixture(autouse=True)
def profile_pages(app):
    """The profile blueprint, until ``register_web`` registers it."""
    if "profile" not in app.blueprints:
        from chargeback.web import profile

        app.register_blueprint(profile.bp)


def _make(client, name: str):
    page = client.get("/profile")
    return client.post("/profile", data={"name": name,
                                         "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_every_role_has_a_profile_and_anonymous_visitors_sign_in(app, signed_in):
    for who in ("admin", "central_it", "finance", "unit_head"):
        page = signed_in(who).get("/profile")
        assert page.status_code == 200
        assert "No token yet" in page.get_data(as_text=True)
    assert app.test_client().get("/profile").status_code == 302


def test_a_token_is_shown_once_and_works_on_the_api(app, signed_in, session, users):
    client = signed_in("finance")
    response = _make(client, "GL journal pull")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    plaintext = re.search(r"(cb_[A-Za-z0-9_-]{40,})", html).group(1)
    token = session.scalar(select(ApiToken))
    assert token.name == "GL journal pull" and token.user_id == users["finance"].id
    assert plaintext not in token.token_hash
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 200 and api.get_json()["email"] == "fin@example.com"
    later = client.get("/profile").get_data(as_text=True)
    assert "GL journal pull" in later and plaintext not in later
    cookie = client.get_cookie("session")
    stored = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert plaintext not in str(stored)  # never flashed: flashes travel in the cookie


def test_a_token_needs_a_name_and_a_csrf_token(signed_in, session):
    client = signed_in("unit_head")
    empty = _make(client, "   ")
    assert empty.status_code == 400
    assert "Give the token a name" in empty.get_data(as_text=True)
    assert client.post("/profile", data={"name": "no csrf"}).status_code == 400
    assert session.scalar(select(ApiToken)) is None


def test_revoking_stops_the_token(app, signed_in, session):
    client = signed_in("central_it")
    html = _make(client, "nightly script").get_data(as_text=True)
    plaintext = re.search(r"(cb_[A-Za-z0-9_-]{40,})", html).group(1)
    token = session.scalar(select(ApiToken))
    page = client.get("/profile").get_data(as_text=True)
    revoked = client.post(f"/profile/tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert revoked.status_code == 200 and "revoked" in revoked.get_data(as_text=True)
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.status_code == 401


def test_nobody_revokes_another_users_token(signed_in, session, users):
    token, _ = tokens.create(session, users["finance"], "finance's", "test")
    session.commit()
    client = signed_in("admin")
    page = client.get("/profile").get_data(as_text=True)
    response = client.post(f"/profile/tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    assert client.post("/profile/tokens/99999999999/revoke",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None
