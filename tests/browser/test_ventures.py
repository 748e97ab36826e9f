"""A venture on the Portfolio page and the compare page, in Chromium, as central IT and as
the unit head of its group (figures of tests/chargeback/test_ventures.py: LAB's envelope
12,000.00, 3,000.00 over at March's burn, 7 months of runway, 78.6 meets)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in
from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.test_ventures import make_lab_a_venture

pytestmark = pytest.mark.slow


@pytest.fixture
def lab_a_venture(live_server, users, runner, session, tmp_path):
    """2026-03 reopened, LAB made a venture with a year's budget and its metrics, closed."""
    run(runner, "reopen", "2026-03", "--reason", "LAB becomes a venture")
    make_lab_a_venture(runner, session, tmp_path)
    return live_server


@pytest.mark.parametrize("who", ["central_it", "unit_head"])
def test_the_venture_shows_its_envelope(lab_a_venture, page, who):
    base = lab_a_venture
    sign_in(page, base, who)
    page.goto(f"{base}/portfolio?period=2026-03")
    row = page.locator("tr", has=page.locator("a", has_text="LAB")).first
    text = row.inner_text()
    assert "3,000.00" in text and "envelope" in text and "78.6" in text
    # the notes (the whole tree's) are for those who see the whole tree
    assert ("LAB is a venture" in page.content()) == (who == "central_it")
    shot(page, f"venture-portfolio-{who}")
    page.goto(f"{base}/portfolio/compare?period=2026-03&a=ALT&b=LAB")
    lab = page.locator("#what-if-LAB-by-ALT").inner_text()
    assert "missing measure" in lab
    alt = page.locator("#what-if-ALT-by-LAB").inner_text()
    assert "missing measure milestones_met" in alt and "missing measure runway_months" in alt
    page.locator("#other-yardstick").scroll_into_view_if_needed()
    shot(page, f"venture-compare-{who}")
    assert page.console_errors == []
