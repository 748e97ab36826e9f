"""A venture on the Portfolio page and the compare page, in Chromium, as central IT and as
the unit head of its group (figures of tests/chargeback/test_ventures.py: LAB's envelope
12,000.00, 3,000.00 over at March's burn, 7 months of runway, 78.6 meets)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from chargeback.models import Unit
from chargeback.services import scorecards
from rules.scoring import scorecard_to_dict
from rules.templates import template_for
from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in
from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import run

pytestmark = pytest.mark.slow


@pytest.fixture
def lab_a_venture(live_server, users, runner, session, tmp_path):
    """2026-03 reopened, LAB made a venture with a year's budget and its metrics, closed."""
    run(runner, "reopen", "2026-03", "--reason", "LAB becomes a venture")
    session.execute(update(Unit).where(Unit.code == "LAB").values(service_model_code="venture"))
    session.commit()
    budget = "period,unit_code,amount\n" + "".join(
        f"2026-{m:02d},LAB,1000.00\n" for m in range(1, 13))
    run(runner, "import", "budget", str(write_csv(tmp_path, "lab-budget.csv", budget)))
    metrics = ("period,unit_code,measure,value\n2026-03,LAB,milestones_met,3\n"
               "2026-03,LAB,milestones_planned,4\n2026-03,LAB,learning_goals_met,2\n"
               "2026-03,LAB,learning_goals_planned,2\n")
    run(runner, "import", "metrics", str(write_csv(tmp_path, "lab-metrics.csv", metrics)))
    card = scorecard_to_dict(template_for("venture", unit="LAB", effective_from="2026-03"))
    scorecards.save_version(session, card, "test", status="approved")
    session.commit()
    run(runner, "close", "2026-03")
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
