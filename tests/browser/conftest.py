"""Browser tests: the real app served on 127.0.0.1, driven in Debian's Chromium by Playwright.

Without Chromium (or the playwright package) these tests skip and say how to get it;
``CHARGEBACK_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns that skip into a failure.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.chargeback.web.conftest import company, users  # noqa: F401  (shared fixtures)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
HOW_TO = ("Chromium is needed for the browser tests: `apt-get install chromium` "
          "(Debian's package, at /usr/bin/chromium) and `pip install playwright`.")


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return HOW_TO
    return None if Path(CHROMIUM).exists() else HOW_TO


@pytest.fixture(scope="session")
def chromium():
    problem = _missing()
    if problem:
        if os.environ.get("CHARGEBACK_REQUIRE_BROWSER") == "1":
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def live_server(company):  # noqa: F811  (the imported fixture, by name)
    """The test app (with the company fixture's data) served on a free local port."""
    server = make_server("127.0.0.1", 0, company, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900},
                                   accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
