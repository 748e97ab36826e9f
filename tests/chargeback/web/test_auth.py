"""Signing in: the form, CSRF, rate limits, cookies, headers, the user command."""

from __future__ import annotations

from sqlalchemy import select

from chargeback.models import User
from tests.chargeback.web.conftest import PASSWORD, csrf_from, sign_in


def test_sign_in_and_out(app, users):
    client = sign_in(app.test_client(), "finance")
    assert client.get("/portfolio").status_code == 200
    page = client.get("/portfolio").get_data(as_text=True)
    out = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert out.status_code == 302
    assert client.get("/portfolio").status_code == 302  # back to the login page


def test_wrong_password_and_inactive_user(app, users, session):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    bad = client.post("/login", data={"email": "fin@example.com", "password": "nope",
                                      "csrf_token": token})
    assert bad.status_code == 401 and "not right" in bad.get_data(as_text=True)
    users["finance"].active = False
    session.commit()
    off = client.post("/login", data={"email": "fin@example.com", "password": PASSWORD,
                                      "csrf_token": token})
    assert off.status_code == 401


def test_post_without_csrf_is_refused(app, users):
    client = app.test_client()
    response = client.post("/login", data={"email": "fin@example.com", "password": PASSWORD})
    assert response.status_code == 400


def test_failed_sign_ins_are_limited_in_the_database(app, users):
    """What the per-worker rate limit did is now kept in the database (``test_sign_in``):
    three failures of one account from one address make the next attempt wait, with
    Retry-After, the right password included."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    answers = [client.post("/login", data={"email": "fin@example.com", "password": "bad",
                                           "csrf_token": token}).status_code
               for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    blocked = client.post("/login", data={"email": "fin@example.com", "password": PASSWORD,
                                          "csrf_token": token})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1


def test_cookies_and_security_headers(app, users):
    client = app.test_client()
    page = client.get("/login")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"email": "fin@example.com", "password": PASSWORD,
                                           "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_https_mode_marks_cookies_secure_and_redirects(migrated, tmp_path):
    from chargeback import create_app
    from tests.conftest import _test_config

    app = create_app({**_test_config(migrated, tmp_path), "CHARGEBACK_HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("https://")


def test_user_add_reads_one_line_or_generates(runner, session, company):
    result = runner.invoke(args=["user", "add", "a@example.com", "--role", "finance"],
                           input="a long enough password\nsecond line ignored\n")
    assert result.exit_code == 0, result.stderr
    assert "shown once" not in result.stdout
    generated = runner.invoke(args=["user", "add", "b@example.com", "--role", "unit_head",
                                    "--unit", "ALT"], input="\n")
    assert generated.exit_code == 0 and "password (shown once):" in generated.stdout
    user = session.scalar(select(User).where(User.email == "b@example.com"))
    assert [u.code for u in user.units] == ["ALT"]
    assert user.password_hash.startswith("scrypt:")
    head = runner.invoke(args=["user", "add", "c@example.com", "--role", "unit_head"], input="x"*12)
    assert head.exit_code == 2  # a usage error: --unit is required for a unit head
    assert "a unit head needs at least one unit in their scope" in head.stderr
    assert session.scalar(select(User).where(User.email == "c@example.com")) is None
    bad = runner.invoke(args=["user", "add", "d@example.com", "--role", "king"])
    assert bad.exit_code == 2


def test_https_mode_refuses_the_api_over_plain_http(migrated, tmp_path, session, users):
    """With HTTPS on, an API call over plain http is 403, not a redirect a client follows
    with its token (the token has crossed the network already: it must fail loudly)."""
    from chargeback import create_app
    from chargeback.services import tokens
    from tests.conftest import _test_config

    _, plaintext = tokens.create(session, users["finance"], "script", "test")
    session.commit()
    app = create_app({**_test_config(migrated, tmp_path), "CHARGEBACK_HTTPS": True})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {plaintext}"}
    with app.app_context():
        plain = client.get("/api/v1/me", headers=headers)
        assert plain.status_code == 403 and "Location" not in plain.headers
        assert "HTTPS" in plain.get_json()["message"]
        assert client.get("/api/openapi.json").status_code == 403
        secure = client.get("/api/v1/me", headers=headers, base_url="https://localhost")
        assert secure.status_code == 200
        page = client.get("/login")
        assert page.status_code == 302 and page.headers["Location"].startswith("https://")
