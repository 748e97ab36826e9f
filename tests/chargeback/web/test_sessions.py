"""Sessions that end (issue 12, "Sessions and sign-in"): a signed-out cookie, a new password,
a role change and a deactivation end sessions on the server; sessions have a lifetime and
an idle timeout; "sign out everywhere"; tokens die with a new password or role; a token
expires; the CSRF token is new after signing in."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import select

from chargeback.models import ApiToken
from chargeback.services import tokens
from tests.chargeback.web.conftest import PASSWORD, USERS, csrf_from, sign_in

NEW_PASSWORD = "plum ledger quietly 42"


def _copy(app, client):
    """Another browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _token(session, user) -> str:
    _, plaintext = tokens.create(session, user, "script", "test")
    session.commit()
    return plaintext


def _api_me(app, plaintext: str) -> int:
    return app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {plaintext}"}).status_code


def _csrf(client, url: str = "/profile") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def test_a_cookie_copied_before_sign_out_no_longer_works(app, signed_in):
    client = signed_in("finance")
    thief = _copy(app, client)
    assert thief.get("/portfolio").status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert client.get("/portfolio").status_code == 302
    assert thief.get("/portfolio").status_code == 302  # the server forgot the session


def test_a_password_set_by_an_admin_ends_every_session_and_token(app, signed_in, session,
                                                                 users):
    victim = signed_in("finance")
    plaintext = _token(session, users["finance"])
    admin = signed_in("admin")
    page = admin.get(f"/admin/users/{users['finance'].id}").get_data(as_text=True)
    answer = admin.post(f"/admin/users/{users['finance'].id}/password",
                        data={"password": NEW_PASSWORD, "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    assert victim.get("/portfolio").status_code == 302
    assert _api_me(app, plaintext) == 401
    assert admin.get("/portfolio").status_code == 200  # the admin's own session stays


def test_reactivating_a_user_revives_no_earlier_session_or_token(app, signed_in, session,
                                                                 users):
    victim = signed_in("finance")
    plaintext = _token(session, users["finance"])
    admin = signed_in("admin")
    user_id = users["finance"].id
    admin.post(f"/admin/users/{user_id}/deactivate", data={"csrf_token": _csrf(admin)})
    admin.post(f"/admin/users/{user_id}/reactivate", data={"csrf_token": _csrf(admin)})
    session.expire_all()
    assert session.get(type(users["finance"]), user_id).active
    assert victim.get("/portfolio").status_code == 302
    assert _api_me(app, plaintext) == 401


def test_a_role_change_ends_sessions_and_tokens(app, signed_in, session, users):
    victim = signed_in("central_it")
    plaintext = _token(session, users["central_it"])
    admin = signed_in("admin")
    user_id = users["central_it"].id
    answer = admin.post(f"/admin/users/{user_id}", data={
        "role": "finance", "csrf_token": _csrf(admin, f"/admin/users/{user_id}")})
    assert answer.status_code == 302
    assert victim.get("/portfolio").status_code == 302
    assert _api_me(app, plaintext) == 401


def test_a_unit_scope_change_keeps_sessions(app, signed_in, users):
    head = signed_in("unit_head")
    admin = signed_in("admin")
    user_id = users["unit_head"].id
    admin.post(f"/admin/users/{user_id}", data={
        "role": "unit_head", "units": ["GRP", "WW"],
        "csrf_token": _csrf(admin, f"/admin/users/{user_id}")})
    assert head.get("/portfolio").status_code == 200


def test_a_session_ends_after_its_lifetime_and_when_idle(app, users):
    app.config.update(CHARGEBACK_SESSION_HOURS=8, CHARGEBACK_SESSION_IDLE_MINUTES=30)
    start = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = sign_in(app.test_client(), "finance")
        for _ in range(16):  # a request every 29 minutes keeps it alive ...
            clock.shift(dt.timedelta(minutes=29))
            assert client.get("/portfolio").status_code == 200
        clock.shift(dt.timedelta(minutes=29))  # ... until 8 hours after the sign-in
        assert client.get("/portfolio").status_code == 302
        idle = sign_in(app.test_client(), "finance")
        clock.shift(dt.timedelta(minutes=31))
        assert idle.get("/portfolio").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_the_user_only(app, signed_in):
    here, there = signed_in("finance"), signed_in("finance")
    other = signed_in("central_it")
    page = here.get("/profile").get_data(as_text=True)
    assert "signed in in 2 places" in page
    answer = here.post("/profile/sign-out-everywhere", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert here.get("/portfolio").status_code == 302
    assert there.get("/portfolio").status_code == 302
    assert other.get("/portfolio").status_code == 200


def test_changing_ones_own_password(app, signed_in, session, users):
    here, there = signed_in("unit_head"), signed_in("unit_head")
    plaintext = _token(session, users["unit_head"])
    wrong = here.post("/profile/password", data={
        "current": "not it at all", "new": NEW_PASSWORD, "again": NEW_PASSWORD,
        "csrf_token": _csrf(here)})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(
        as_text=True)
    weak = here.post("/profile/password", data={
        "current": PASSWORD, "new": "qwertyuiopas", "again": "qwertyuiopas",
        "csrf_token": _csrf(here)})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    assert here.post("/profile/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD}).status_code == 400
    done = here.post("/profile/password", data={
        "current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD,
        "csrf_token": _csrf(here)})
    assert done.status_code == 302
    assert here.get("/portfolio").status_code == 200  # this browser stays signed in
    assert there.get("/portfolio").status_code == 302
    assert _api_me(app, plaintext) == 401
    fresh = app.test_client()
    answer = fresh.post("/login", data={"email": USERS["unit_head"][0], "password": NEW_PASSWORD,
                                        "csrf_token": _csrf(fresh, "/login")})
    assert answer.status_code == 302


def test_the_csrf_token_is_new_after_signing_in(app, users):
    client = app.test_client()
    before = _csrf(client, "/login")
    answer = client.post("/login", data={"email": USERS["finance"][0], "password": PASSWORD,
                                         "csrf_token": before})
    assert answer.status_code == 302
    after = _csrf(client, "/portfolio")
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/portfolio").status_code == 200
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


# --- API tokens ---------------------------------------------------------------------------


def _make_token(client, name: str, days: str | None = None):
    data = {"name": name, "csrf_token": _csrf(client)}
    if days is not None:
        data["days"] = days
    return client.post("/profile", data=data)


def test_tokens_expire_after_90_days_unless_their_maker_chose(app, signed_in, session, users):
    start = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in("finance")
        html = _make_token(client, "default").get_data(as_text=True)
        default = re.search(r"(cb_[A-Za-z0-9_-]{40,})", html).group(1)
        html = _make_token(client, "a week", "7").get_data(as_text=True)
        week = re.search(r"(cb_[A-Za-z0-9_-]{40,})", html).group(1)
        assert _make_token(client, "too long", "366").status_code == 400
        assert _make_token(client, "none", "0").status_code == 400
        made = {t.name: t for t in session.scalars(select(ApiToken))}
        assert set(made) == {"default", "a week"}
        listing = client.get("/profile").get_data(as_text=True)
        assert "2026-08-02" in listing and "2026-05-11" in listing  # expiry in the list
        me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {week}"})
        assert me.get_json()["token"]["expires_at"] == "2026-05-11T08:00:00Z"
        clock.shift(dt.timedelta(days=7))
        assert _api_me(app, week) == 401 and _api_me(app, default) == 200
        clock.shift(dt.timedelta(days=83))
        assert _api_me(app, default) == 401
        assert "expired" in signed_in("finance").get("/profile").get_data(as_text=True)


def test_the_command_line_makes_a_token_for_some_days(app, runner, users):
    from chargeback.cli.tokens import token_group

    made = runner.invoke(token_group, ["create", "fin@example.com", "--days", "30"])
    assert made.exit_code == 0, made.output
    assert "expires" in made.output
    assert runner.invoke(token_group, ["create", "fin@example.com", "--days",
                                       "400"]).exit_code == 1
    assert "expires" in runner.invoke(token_group, ["list"]).output


def test_sessions_are_kept_as_hashes(app, signed_in, session):
    from chargeback.models import UserSession

    client = signed_in("finance")
    stored = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value)
    row = session.scalar(select(UserSession))
    assert stored["sid"] not in row.token_hash and len(row.token_hash) == 64
