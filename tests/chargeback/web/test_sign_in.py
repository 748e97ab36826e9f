"""Sign-in resists guessing without locking people out (issue 12, "Sessions and sign-in"):
failure counts in the database, a growing delay with Retry-After, a soft lock that never
locks out the owner's own browser and that the reset link lifts, the proxy setting, a
same-site ``next`` only, the password rules, "forgot password", and the second step."""

from __future__ import annotations

import datetime as dt
import email as mail
import email.policy as mail_policy
import re
from urllib.parse import quote

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import User
from chargeback.services.users import UserRefused, create_user
from tests.chargeback.web.conftest import PASSWORD, USERS, csrf_from, sign_in
from tests.conftest import FAST_HASH

FIN = USERS["finance"][0]
START = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


def _attempt(client, email: str, password: str, address: str = "192.0.2.1", url="/login"):
    token = csrf_from(client.get("/login", environ_base={"REMOTE_ADDR": address})
                      .get_data(as_text=True))
    return client.post(url, data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


# --- failures counted in the database, growing delay, Retry-After ------------------------


def test_failures_are_counted_in_the_database_with_a_growing_delay(app, users, session):
    from chargeback.models import SignInThrottle

    with time_machine.travel(START, tick=False) as clock:
        client = app.test_client()
        for _ in range(3):
            assert _attempt(client, FIN, "wrong").status_code == 401
        waits = []
        for _ in range(4):
            refused = _attempt(client, FIN, "wrong")
            assert refused.status_code == 429
            waits.append(int(refused.headers["Retry-After"]))
            clock.shift(dt.timedelta(seconds=waits[-1]))
            assert _attempt(client, FIN, "wrong").status_code == 401
        assert waits == [1, 2, 4, 8]  # the delay doubles
        row = session.scalar(select(SignInThrottle).where(
            SignInThrottle.email == FIN, SignInThrottle.client == "address:192.0.2.1"))
        assert row.failures == 7  # in the database, whichever worker answered
        # a refused attempt does not check the password, even the right one
        assert _attempt(client, FIN, PASSWORD).status_code == 429
        clock.shift(dt.timedelta(seconds=16))
        assert _attempt(client, FIN, PASSWORD).status_code == 302
        session.expire_all()
        assert session.scalar(select(SignInThrottle).where(
            SignInThrottle.email == FIN, SignInThrottle.client == "address:192.0.2.1")) is None


def test_a_second_worker_sees_the_first_workers_failures(app, users, migrated, tmp_path):
    """Two apps (two workers) share the count: the limit is not per worker."""
    from chargeback import create_app
    from tests.conftest import _test_config

    with time_machine.travel(START, tick=False):
        for _ in range(3):
            assert _attempt(app.test_client(), FIN, "wrong").status_code == 401
        other = create_app(_test_config(migrated, tmp_path))
        with other.app_context():
            refused = _attempt(other.test_client(), FIN, "wrong")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"


def test_a_strangers_failures_never_lock_out_the_owners_browser(app, users):
    app.config.update(CHARGEBACK_SIGNIN_LOCK_FAILURES=20)
    with time_machine.travel(START, tick=False):
        owner = app.test_client()
        assert _attempt(owner, FIN, PASSWORD, "198.51.100.7").status_code == 302
        owner.post("/logout", data={"csrf_token": csrf_from(
            owner.get("/profile").get_data(as_text=True))})
        stranger = app.test_client()
        for n in range(20):  # from 20 addresses, so no address is slowed down
            assert _attempt(stranger, FIN, "guess", f"203.0.113.{n}").status_code == 401
        locked = _attempt(stranger, FIN, PASSWORD, "203.0.113.99")
        assert locked.status_code == 429 and "Forgot your password" in locked.get_data(
            as_text=True)
        assert int(locked.headers["Retry-After"]) > 3600
        # the owner's browser, from the stranger's address or any other, is not locked
        assert _attempt(owner, FIN, PASSWORD, "203.0.113.0").status_code == 302


def test_the_owner_lifts_the_soft_lock_with_the_reset_link(app, users, outbox):
    app.config.update(CHARGEBACK_SIGNIN_LOCK_FAILURES=5)
    stranger = app.test_client()
    for n in range(5):
        _attempt(stranger, FIN, "guess", f"203.0.113.{n}")
    new_browser = app.test_client()
    assert _attempt(new_browser, FIN, PASSWORD, "198.51.100.7").status_code == 429
    link = _reset_link(app, outbox, FIN)
    _set_password_by_link(app.test_client(), link, "orchid lantern minus 7")
    assert _attempt(new_browser, FIN, "orchid lantern minus 7", "198.51.100.7"
                    ).status_code == 302


def test_one_address_spraying_many_accounts_is_stopped(app, users):
    app.config.update(CHARGEBACK_SIGNIN_ADDRESS_FAILURES=6)
    client = app.test_client()
    for n in range(6):
        assert _attempt(client, f"user{n}@example.com", "guess").status_code == 401
    refused = _attempt(client, FIN, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert _attempt(app.test_client(), FIN, PASSWORD, "192.0.2.2").status_code == 302


def test_behind_a_trusted_proxy_each_client_is_counted_apart(users, migrated, tmp_path):
    from chargeback import create_app
    from chargeback.models import SignInThrottle
    from tests.conftest import _test_config

    def fail_three_then_try(app, forwarded_for: str):
        client = app.test_client()
        for n in range(3):
            _attempt_via(client, "wrong", f"203.0.113.{n}")
        return _attempt_via(client, "wrong", forwarded_for)

    def _attempt_via(client, password, forwarded_for):
        headers = {"X-Forwarded-For": forwarded_for}
        page = client.get("/login", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
        return client.post("/login", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"},
                           data={"email": FIN, "password": password,
                                 "csrf_token": csrf_from(page.get_data(as_text=True))})

    with time_machine.travel(START, tick=False):
        direct = create_app(_test_config(migrated, tmp_path))
        with direct.app_context():  # no proxy setting: every client is the proxy
            assert fail_three_then_try(direct, "203.0.113.50").status_code == 429
            db.session.execute(SignInThrottle.__table__.delete())
            db.session.commit()
        proxied = create_app({**_test_config(migrated, tmp_path),
                              "CHARGEBACK_TRUSTED_PROXIES": 1})
        with proxied.app_context():
            assert fail_three_then_try(proxied, "203.0.113.50").status_code == 401


# --- next: a path on this site only -------------------------------------------------------


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/\x00/evil.example/",
    "/\x0b/evil.example/", "\t//evil.example/", " //evil.example/", "//evil.example/",
    "///evil.example/", "/\\evil.example/", "\\/evil.example/", "\\\\evil.example/",
    "https://evil.example/", "http:evil.example", "javascript:alert(1)", "evil.example",
    "/\u3000/evil.example/", "/units\nSet-Cookie: x=1", "/" + "a" * 2100,
])
def test_next_is_followed_only_to_a_path_on_this_site(app, users, target):
    client = app.test_client()
    page = client.get("/login?next=" + quote(target, safe=""))
    answer = client.post("/login?next=" + quote(target, safe=""), data={
        "email": FIN, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_next_keeps_a_path_of_this_site(app, users):
    client = app.test_client()
    target = "/units/ALT/charges?period=2026-03&page=2"
    page = client.get("/login?next=" + quote(target, safe=""))
    answer = client.post("/login?next=" + quote(target, safe=""), data={
        "email": FIN, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.headers["Location"] == target


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaa", "at least 12"),
    ("Xk4!mQ2#zL9", "at least 12"),
    ("aaaaaaaaaaaa", "one repeated character"),
    ("qwertyuiopas", "too easy"),
    ("1qaz2wsx3edc", "too easy"),
    ("abcdefghijkl", "too easy"),
    ("123456789012", "too easy"),
    ("Password1234", "too easy"),
    ("iloveyou2024", "too easy"),
    ("jane.doe.rocks!", "name of the e-mail"),
    ("my JANEDOE secret 9", "name of the e-mail"),
])
def test_weak_passwords_are_refused(session, company, password, reason):
    with pytest.raises(UserRefused, match=reason):
        create_user(session, "jane.doe@example.com", "finance", password, "test",
                    hash_method=FAST_HASH)


def test_an_admin_typing_a_weak_password_is_told_why(signed_in, users):
    admin = signed_in("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    answer = admin.post("/admin/users/new", data={
        "email": "new@example.com", "role": "finance", "password": "aaaaaaaaaa",
        "csrf_token": csrf_from(page)})
    assert answer.status_code == 409 and "at least 12 characters" in answer.get_data(
        as_text=True)


def test_generated_passwords_pass_the_rules(session, company):
    from chargeback.services.passwords import problems
    from chargeback.services.users import generate_password

    for _ in range(50):
        assert problems(generate_password("fin@example.com"), "fin@example.com") == []


# --- forgot password ----------------------------------------------------------------------


@pytest.fixture
def outbox(app):
    """Mail goes to a local SMTP server; the messages it got."""
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, smtp_session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(CHARGEBACK_SMTP_HOST="127.0.0.1", CHARGEBACK_SMTP_PORT=port,
                      CHARGEBACK_BASE_URL="https://chargeback.example")
    yield received
    controller.stop()


def test_without_mail_the_forgot_page_offers_no_form_and_promises_no_link(app, users):
    """No mail settings: the page says to ask an admin and has nothing to send; a POST
    anyway (an old page, a script) sends nothing and says no link was sent."""
    assert not app.config.get("CHARGEBACK_SMTP_HOST")
    client = app.test_client()
    page = client.get("/forgot")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "This server sends no mail" in text
    assert "Send the link" not in text and 'name="email"' not in text
    token = csrf_from(client.get("/login").get_data(as_text=True))  # an old page's form
    answer = client.post("/forgot", data={"email": users["finance"].email,
                                          "csrf_token": token}, follow_redirects=True)
    said = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "No link was sent" in said and "on its way" not in said
    assert "Send the link" not in said


def _reset_link(app, outbox, email: str) -> str:
    client = app.test_client()
    page = client.get("/forgot").get_data(as_text=True)
    answer = client.post("/forgot", data={"email": email, "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    body = mail.message_from_bytes(outbox[-1].content, policy=mail_policy.default
                                    ).get_content()
    return re.search(r"https://chargeback\.example(/reset/\S+)", body).group(1)


def _set_password_by_link(client, link: str, password: str):
    page = client.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return client.post(link, data={"password": password, "again": password,
                                   "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_forgot_password_sends_a_link_that_works_once(app, users, outbox, signed_in):
    session_before = signed_in("finance")
    unknown = app.test_client()
    page = unknown.get("/forgot").get_data(as_text=True)
    answer = unknown.post("/forgot", data={"email": "nobody@example.com",
                                           "csrf_token": csrf_from(page)},
                          follow_redirects=True)
    assert "If nobody@example.com is a user" in answer.get_data(as_text=True)
    assert outbox == []  # nothing is sent, and the answer is the same
    link = _reset_link(app, outbox, FIN)
    assert outbox[-1].rcpt_tos == [FIN]
    weak = _set_password_by_link(app.test_client(), link, "abcdefghijkl")
    assert weak.status_code == 400
    done = _set_password_by_link(app.test_client(), link, "orchid lantern minus 7")
    assert done.status_code == 302
    assert session_before.get("/portfolio").status_code == 302  # every session ended
    assert app.test_client().get(link).status_code == 404  # used: it works once
    assert _attempt(app.test_client(), FIN, "orchid lantern minus 7").status_code == 302


def test_a_reset_link_expires(app, users, outbox):
    app.config.update(CHARGEBACK_RESET_LINK_MINUTES=30)
    with time_machine.travel(START, tick=False) as clock:
        link = _reset_link(app, outbox, FIN)
        clock.shift(dt.timedelta(minutes=31))
        assert app.test_client().get(link).status_code == 404
        assert app.test_client().get(link[:-3] + "abc").status_code == 404


# --- the second step (TOTP) ---------------------------------------------------------------


def _turn_on_totp(client, session, email: str) -> pyotp.TOTP:
    page = client.get("/profile/two-step").get_data(as_text=True)
    client.post("/profile/two-step/new", data={"csrf_token": csrf_from(page)})
    page = client.get("/profile/two-step")
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    secret = session.scalar(select(User.totp_secret).where(User.email == email))
    assert secret in html
    totp = pyotp.TOTP(secret)
    answer = client.post("/profile/two-step", data={"code": totp.now(),
                                                    "csrf_token": csrf_from(html)})
    assert answer.status_code == 302
    return totp


def test_two_step_sign_in_asks_for_a_code_once(app, signed_in, session):
    with time_machine.travel(START, tick=False) as clock:
        totp = _turn_on_totp(signed_in("finance"), session, FIN)
        clock.shift(dt.timedelta(seconds=60))
        client = app.test_client()
        first = _attempt(client, FIN, PASSWORD)
        assert first.status_code == 302 and first.headers["Location"] == "/login/code"
        assert client.get("/portfolio").status_code == 302  # not signed in yet
        page = client.get("/login/code").get_data(as_text=True)
        wrong = client.post("/login/code", data={"code": "000000", "csrf_token": csrf_from(page)})
        assert wrong.status_code == 401
        code = totp.now()
        done = client.post("/login/code", data={"code": code, "csrf_token": csrf_from(page)})
        assert done.status_code == 302 and done.headers["Location"] == "/"
        assert client.get("/portfolio").status_code == 200
        again = app.test_client()
        _attempt(again, FIN, PASSWORD)
        page = again.get("/login/code").get_data(as_text=True)
        replay = again.post("/login/code", data={"code": code, "csrf_token": csrf_from(page)})
        assert replay.status_code == 401  # a code works once


def test_an_admin_can_require_two_step_for_admins_and_central_it(app, signed_in, session):
    admin = signed_in("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    admin.post("/admin/users/two-step", data={"required": "1", "csrf_token": csrf_from(page)})
    cit = signed_in("central_it")
    answer = cit.get("/portfolio")
    assert answer.status_code == 302 and answer.headers["Location"] == "/profile/two-step"
    assert signed_in("finance").get("/portfolio").status_code == 200  # not for finance
    _turn_on_totp(cit, session, USERS["central_it"][0])
    assert cit.get("/portfolio").status_code == 200
    page = cit.get("/profile/two-step").get_data(as_text=True)
    assert "Turn it off" not in page  # required: it stays on


def test_one_accounts_failures_do_not_slow_down_another(app, users, session):
    """A sign-in of another account is not slowed down by this account's failures."""
    with time_machine.travel(START, tick=False):
        client = app.test_client()
        for _ in range(4):
            _attempt(client, FIN, "wrong")
        assert _attempt(client, FIN, "wrong").status_code == 429
        assert sign_in(app.test_client(), "central_it") is not None
