"""Every page of the URL map, for every role, in Chromium: axe-core finds no serious or
critical violation, and at a phone's width (390 px) nothing makes the page scroll sideways.

The pages and who may see them come from the RULES table of the authorization test (and
their URL arguments from its ``targets``), so a page added to the app is checked here as
soon as it has its access rule. A page that answers with something other than HTML (a
download, JSON) is not a page and is left out; an error page (the reset page's 404 for
a made-up link) is a page like any other.  The signed-out visitor is checked on the
public pages (sign-in, forgotten password). With ``CHARGEBACK_SCREENSHOTS=1`` each page is
also screenshotted at 390 px (``build/screenshots/390-<who>-<endpoint>.png``).

axe runs at a desktop width (1400 px, the menu open); the overflow check then narrows the
same page to 390x844. Wide tables scroll inside their own ``.table-responsive`` box, which
is allowed: what must not happen is the page itself growing wider than the screen.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import SETTLE_JS, settle, shot
from tests.browser.test_journeys import sign_in
from tests.chargeback.web.test_authorization import (  # noqa: F401  (targets: a fixture)
    PUBLIC,
    ROLES,
    RULES,
    expected,
    routes,
    targets,
    url_for_rule,
)

pytestmark = pytest.mark.slow

FAILING_IMPACTS = {"serious", "critical"}
# axe's default rules, and one it keeps among its experimental ones: a control's accessible
# name must contain its visible text (speech users say what they see).
AXE_OPTIONS = {"resultTypes": ["violations"],
               "rules": {"label-content-name-mismatch": {"enabled": True}}}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
NOT_PAGES = {"static", "home", "auth.logout"}  # a file, a redirect, a POST

# The elements (tag#id.class) whose right edge passes the viewport and that no box which
# scrolls by itself clips (an absolutely positioned element escapes a scrolling box that is
# not its containing block), outermost first: what makes the page wider than 390 px.
CULPRITS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    let absolute = getComputedStyle(el).position === 'absolute';
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (absolute && style.position === 'static') continue;
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
      absolute = style.position === 'absolute';
    }
    return false;
  };
  const wide = (el) => el.getBoundingClientRect().right > width + 0.5 && !clipped(el);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!wide(el) || (el.parentElement !== document.body && wide(el.parentElement))) continue;
    const text = (el.innerText || el.getAttribute('aria-label') || '').trim();
    found.push(name(el) + ' (right edge at ' + Math.round(el.getBoundingClientRect().right) +
               ' px): ' + text.slice(0, 40).replace(/\\s+/g, ' '));
  }
  return found.slice(0, 8);
}"""



def pages_for(app, who: str | None):
    """(endpoint, path) of every GET page ``who`` may see (None: signed out, the public
    pages), in the URL map's order."""
    for rule, method in routes(app):
        if method != "GET" or rule.endpoint in NOT_PAGES:
            continue
        allowed = RULES[rule.endpoint]["GET"]
        if (who is None) != (allowed == PUBLIC) or (who and not expected(allowed, who)):
            continue
        yield rule.endpoint, rule


def axe_source() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


def with_axe_on_every_page(page):
    """axe-core loaded into every document the page opens, as it is created: sending its
    half a megabyte of script to each page after it loads costs 60-90 ms more a page."""
    page.add_init_script(axe_source())
    return page


def axe_problems(page, path: str) -> list[str]:
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(axe_source())
    violations = page.evaluate("(options) => axe.run(options).then((r) => r.violations)",
                               AXE_OPTIONS)
    problems = []
    for violation in violations:
        if violation.get("impact") not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            problems.append(f"{path}: {violation['impact']} {violation['id']} at "
                            f"{' '.join(map(str, node['target']))}: {violation['help']}")
    return problems


def overflow_problems(page, path: str) -> list[str]:
    page.set_viewport_size(PHONE)
    page.evaluate(SETTLE_JS)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"]:
        return []
    culprits = page.evaluate(CULPRITS_JS)
    return [f"{path}: {width} px wide at {PHONE['width']} px, because of: "
            + "; ".join(culprits)]


def check_page(page, base: str, who: str, endpoint: str, path: str) -> list[str]:
    problems = checked_page(page, base, who, endpoint, path)
    return [] if problems is None else problems


def checked_page(page, base: str, who: str, endpoint: str, path: str) -> list[str] | None:
    """What is wrong with the page at ``path``; None when the route answers with something
    other than a page (a download, JSON)."""
    from playwright.sync_api import Error

    page.set_viewport_size(DESKTOP)
    try:
        response = page.goto(base + path)
    except Error as error:  # a download aborts the navigation: not a page
        if "Download is starting" in error.message:
            return None
        raise
    if response is None:
        return [f"{path}: no response"]
    if "text/html" not in (response.headers.get("content-type") or ""):
        return None
    settle(page)
    problems = axe_problems(page, path) + overflow_problems(page, path)
    shot(page, f"390-{who}-{endpoint.replace('.', '-')}")
    return problems


@pytest.mark.parametrize("who", (None, *ROLES), ids=("signed_out", *ROLES))
def test_every_page_is_accessible_and_fits_a_phone(live_server, page, app, users, targets,  # noqa: F811
                                                   who):
    with_axe_on_every_page(page)
    if who is not None:
        sign_in(page, live_server, who)
    problems, checked = [], 0
    for endpoint, rule in pages_for(app, who):
        path = url_for_rule(rule, targets)
        found = checked_page(page, live_server, who or "signed_out", endpoint, path)
        if found is not None:
            problems += found
            checked += 1
    assert checked >= (2 if who is None else 4), f"only {checked} pages checked"
    assert problems == [], "\n" + "\n".join(problems)


def test_scorecard_editor_and_approval_states(live_server, page, users):
    """The states a plain GET does not reach: the editor with a draft's criteria (its Move
    buttons, card headers), its preview, and the approval pages with a version waiting."""
    base, problems = live_server, []

    def check(name: str) -> None:
        settle(page)
        path = page.url.removeprefix(base)
        problems.extend(axe_problems(page, path) + overflow_problems(page, path))
        shot(page, f"390-{name}")
        page.set_viewport_size(DESKTOP)

    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "unit_head")
    page.goto(f"{base}/units/ALT/scorecard")
    page.click("#start-template")
    check("unit_head-editor-draft")
    page.fill("input[name=effective_from]", "2026-04")
    page.click("#preview-button")
    check("unit_head-editor-preview")
    page.click("#submit-for-approval")
    check("unit_head-editor-submitted")
    page.click("text=Sign out")
    page.wait_for_url("**/login")

    sign_in(page, base, "central_it")
    page.goto(f"{base}/approvals")
    check("central_it-approvals-waiting")
    page.locator("tr:has-text('ALT') a[href*='/approvals/']").first.click()
    check("central_it-approvals-review-waiting")
    assert problems == [], "\n" + "\n".join(problems)


def test_compare_shows_every_column_on_a_laptop(live_server, page, users):
    """At 1366 px the two cards of the compare page sit side by side and each table shows
    all its columns, Score included, without scrolling (issue 13 found Score cut off)."""
    sign_in(page, live_server, "finance")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/portfolio/compare?a=ALT&b=LAB&period=2026-03")
    settle(page)
    cut = page.evaluate("""() => [...document.querySelectorAll('.table-responsive')]
        .filter((box) => box.scrollWidth > box.clientWidth)
        .map((box) => box.getAttribute('aria-label') + ': ' + box.scrollWidth + ' px in '
             + box.clientWidth)""")
    shot(page, "compare-1366")
    assert page.locator("#side-ALT th:has-text('Score')").is_visible()
    assert cut == []
