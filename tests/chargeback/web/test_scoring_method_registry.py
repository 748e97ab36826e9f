"""A scoring method is one registry entry: validation, scores, explanations, storage, the
API's schema and the scorecard editor all read ``rules.methods.METHODS``."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import CriterionDefinition
from chargeback.services import scorecards
from rules.methods import METHODS, ScoringMethod
from rules.model import Criterion
from rules.scoring import score
from tests.chargeback.web.conftest import csrf_from, sign_in

STEP = ScoringMethod(
    name="stepped_to_target", summary="50 under the target, 100 at it", uses=("target",),
    raw_score=lambda c, actual: Decimal(100) if actual >= c.target else Decimal(50),
    describe=lambda c: f"step at {c.target}")
CRITERION = {"key": "csat", "label": "Satisfaction", "expr": "researcher_csat",
             "direction": "higher", "method": "stepped_to_target", "target": "4.5", "weight": "1"}


def test_a_method_added_to_the_registry_works_everywhere(app, users, monkeypatch):
    monkeypatch.setitem(METHODS, STEP.name, STEP)
    criterion = Criterion(key="c", label="C", expr="x", direction="higher", method=STEP.name,
                          target=Decimal("4.5"), weight=Decimal(1))
    result = score(criterion, {"x": Decimal("4")})
    assert result.score == 50 and "step at 4.5" in result.explanation

    scorecards.save_version(db.session, {"unit": "ALT", "effective_from": "2026-04",
                                         "criteria": [CRITERION]}, "test", status="approved")
    db.session.commit()  # no list of methods, and room for a 17-letter name (PostgreSQL)
    assert db.session.scalar(select(CriterionDefinition.method).where(
        CriterionDefinition.method == STEP.name)) == STEP.name

    client = sign_in(app.test_client(), "central_it")
    page = client.get("/units/ALT/scorecard").get_data(as_text=True)
    added = client.post("/units/ALT/scorecard", data={
        "csrf_token": csrf_from(page), "effective_from": "2026-05", "action": "add"})
    added = client.get(added.headers["Location"])  # post/redirect/get
    assert f'<option value="{STEP.name}"' in added.get_data(as_text=True)  # the editor offers it

    from chargeback.services import tokens

    _, token = tokens.create(db.session, users["central_it"], "registry", "test")
    db.session.commit()
    answer = app.test_client().post(
        "/api/v1/units/ALT/scorecards", headers={"Authorization": f"Bearer {token}"},
        json={"effective_from": "2026-05", "criteria": [CRITERION]})
    assert answer.status_code == 201, answer.get_json()


def test_an_unknown_method_is_refused_naming_the_known_ones(users):
    refused = None
    try:
        scorecards.check(db.session, {"unit": "ALT", "effective_from": "2026-04",
                                      "criteria": [{**CRITERION, "method": "curve"}]})
    except scorecards.ScorecardRefused as exc:
        refused = exc
    assert refused is not None
    assert refused.problems[0].message == "must be 'linear', 'binary' or 'bands'"


def test_a_method_name_the_database_cannot_hold_is_refused_at_registration():
    import pytest

    for name in ("a" * 33, "Step", "step-2", ""):
        with pytest.raises(ValueError, match="scoring method name"):
            ScoringMethod(name=name, summary="", uses=(), raw_score=STEP.raw_score,
                          describe=STEP.describe)
    ScoringMethod(name="a" * 32, summary="", uses=(), raw_score=STEP.raw_score,
                  describe=STEP.describe)
