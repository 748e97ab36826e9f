"""The profile's security in Chromium: a token with its expiry, two-step sign-in set up
with the QR code's key, signing in with a code, and "sign out everywhere"."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.slow


def test_token_two_step_and_sign_out_everywhere(live_server, page, users):
    base = live_server
    sign_in(page, base, "finance")
    page.goto(f"{base}/profile")
    page.fill("input[name=name]", "GL journal pull")
    page.fill("input[name=days]", "30")
    page.click("text=Make a token")
    assert re.search(r"cb_[A-Za-z0-9_-]{40,}", page.content())
    page.goto(f"{base}/profile")
    row = page.locator("tr", has_text="GL journal pull").inner_text()
    assert "working" in row
    shot(page, "profile")

    page.click("text=Set it up")
    page.click("button:has-text('Set it up')")
    assert page.locator("img[alt^='QR code']").is_visible()
    secret = page.locator("code.user-select-all").inner_text().strip()
    shot(page, "two-step-setup")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("text=Turn it on")
    page.wait_for_url(f"{base}/profile")
    assert "Two-step sign-in is on" in page.content()

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.fill("input[name=email]", "fin@example.com")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code")
    shot(page, "two-step-code")
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step's: the last one was used
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portfolio**")
    page.goto(f"{base}/profile")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Sign out everywhere")
    page.wait_for_url("**/login")
    assert "Signed out everywhere" in page.content()
    assert page.console_errors == []
