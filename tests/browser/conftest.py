"""Browser tests: the real app served on 127.0.0.1, driven in Debian's Chromium by Playwright.

Without Chromium (or the playwright package) these tests skip and say how to get it;
``CHARGEBACK_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns that skip into a failure.

Screenshots (``shot``) are for people reviewing the pages, not for the tests' verdicts:
they are written to ``build/screenshots/`` only with ``CHARGEBACK_SCREENSHOTS=1`` (a full
page's PNG costs 0.1-0.3 s, about 15 s over the suite).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.chargeback.web.conftest import company, users  # noqa: F401  (shared fixtures)

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("CHARGEBACK_SCREENSHOTS") == "1"
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
    # a short poll: shutting down waits for the loop's next turn (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
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
    _count_requests_in_flight(page)
    yield page
    context.close()


def _count_requests_in_flight(page) -> None:
    in_flight: set = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    page.requests_in_flight = in_flight


# Chart.js and the like resize on the next animation frames: wait for a few.
SETTLE_JS = """() => new Promise((done) => {
  let frames = 4;
  const next = () => (--frames ? requestAnimationFrame(next) : done());
  requestAnimationFrame(next);
})"""


def settle(page, timeout: float = 30) -> None:
    """The page loaded, every request it made answered, and a few frames drawn.

    Playwright's "networkidle" waits for 500 ms without a request on every page (half of
    the browser tests' time); the app's pages fetch nothing after their load event but
    the favicon (the jobs pages poll every 2 s, the scorecard editor on input), so waiting
    for the load event, then for the requests already made, then for the frames in which
    scripts (charts) lay the page out, sees the same page.
    """
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout
    while page.requests_in_flight:
        assert time.monotonic() < deadline, [r.url for r in page.requests_in_flight]
        page.wait_for_timeout(10)
    page.evaluate(SETTLE_JS)


def shot(page, name: str, element=None, full_page: bool = True) -> Path | None:
    """A screenshot of the page (the whole page, or what the viewport shows, or
    ``element``) for review, with ``CHARGEBACK_SCREENSHOTS=1``; otherwise nothing."""
    if not TAKE_SCREENSHOTS:
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if element is not None:
        element.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=full_page)
    return path
