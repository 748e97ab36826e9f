"""templates.py: every built-in service model has a valid starter scorecard."""

import pytest

from rules.expressions import parse
from rules.scoring import validate_scorecard
from rules.templates import SERVICE_MODELS, template_for, template_measures
from rules.vocabulary import ENVELOPE_MEASURES

LEDGER = {"spend", "budget", "charged", "spend_pool_innovation", *ENVELOPE_MEASURES}


@pytest.mark.parametrize("model", SERVICE_MODELS)
def test_each_template_is_valid_and_uses_known_measures(model):
    template = template_for(model, unit="WW", effective_from="2026-01")
    assert 3 <= len(template.criteria) <= 6
    assert validate_scorecard(template, set(template_measures()) | LEDGER) == ([], [])
    names = set().union(*(parse(c.expr)[0].names for c in template.criteria))
    assert names & {"spend", "budget", "charged", *ENVELOPE_MEASURES}, \
        "each template uses the ledger (a venture: its envelope's runway)"
    assert names - LEDGER, "and observed metrics"


def test_templates_differ_by_service_model():
    keys = {m: {c.key for c in template_for(m).criteria} for m in SERVICE_MODELS}
    assert "cost_per_seat" in keys["operational_excellence"]
    assert "time_to_market" in keys["product_leadership"]
    assert "csat" in keys["customer_intimacy"]
    assert keys["venture"] == {"milestones", "runway", "learning"}
    assert keys["operational_excellence"] != keys["customer_intimacy"]


def test_template_measures_lists_the_observed_names():
    assert {"seats", "desktop_spend", "availability", "researcher_csat",
            "turnaround_days", "experiments_shipped"} <= template_measures()
    assert not template_measures() & {"spend", "budget", "charged"}


def test_unknown_model_has_no_template():
    assert template_for("cost_leadership") is None
    assert template_for("operational_excellence").unit == ""


def test_a_venture_is_not_judged_on_the_months_budget():
    """Its budget is an envelope over the fiscal year: no criterion reads spend / budget."""
    names = set().union(*(parse(c.expr)[0].names for c in template_for("venture").criteria))
    assert "budget" not in names and "runway_months" in names
    assert {"milestones_met", "milestones_planned", "learning_goals_met",
            "learning_goals_planned"} <= template_measures()
