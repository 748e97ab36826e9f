"""``GET /api/v1/units/{code}/ratings/{period}``: a unit's own rating and, asked for, the same
closed month judged by another yardstick (figures worked out in
tests/chargeback/test_yardsticks.py)."""

from __future__ import annotations

URL = "/api/v1/units/{}/ratings/2026-03"


def test_own_rating_alone(api):
    body = api("finance").get(URL.format("ALT")).get_json()
    assert body["what_if"] is None and body["lines"] == []
    assert body["own"]["attainment_one_decimal"] == "87.0"
    assert body["service_model"] == "customer_intimacy"
    assert api("finance").get(URL.format("DC")).get_json()["own"] is None  # no scorecard


def test_judged_by_another_units_scorecard(api):
    body = api("finance").get(URL.format("WW") + "?scorecard_of=ALT").get_json()
    what_if = body["what_if"]
    assert what_if["kind"] == "what-if"
    assert what_if["yardstick"] == {
        "kind": "scorecard_of", "source": "ALT", "title": "ALT's scorecard (version 1, from "
        "2026-01)", "service_model": "customer_intimacy", "scorecard_version": 1,
        "effective_from": "2026-01"}
    assert (what_if["attainment"], what_if["attainment_one_decimal"], what_if["band"]) == (
        "100", "100.0", "exceeds")
    assert what_if["not_rated"] == ["csat", "turnaround"]
    # on 2 of 4 criteria weighing 2 of 7: the band is not to be shown
    assert (what_if["rated_count"], what_if["criteria_count"], what_if["banded"]) == (
        2, 4, False)
    assert [c["note"] for c in what_if["criteria"]][:2] == [
        "missing measure researcher_csat", "missing measure turnaround_days"]
    assert body["own"]["attainment_one_decimal"] == "80.8"
    lines = {line["key"]: line for line in body["lines"]}
    assert list(lines) == ["csat", "turnaround", "on_budget", "spend_per_seat",
                           "cost_per_seat", "availability", "first_day_fix"]
    assert lines["spend_per_seat"]["own"] is None
    assert lines["cost_per_seat"]["judged"] is None
    assert lines["cost_per_seat"]["own"]["score"] == "75"


def test_judged_by_a_template(api):
    body = api("finance").get(URL.format("ALT") + "?template=operational_excellence").get_json()
    assert body["what_if"]["attainment_one_decimal"] == "85.0"
    assert body["what_if"]["yardstick"]["scorecard_version"] is None
    assert body["what_if"]["not_rated"] == ["cost_per_seat", "availability", "first_day_fix"]
    assert (body["what_if"]["rated_count"], body["what_if"]["criteria_count"],
            body["what_if"]["banded"]) == (2, 5, False)
    intimacy = api("finance").get(URL.format("ALT") + "?template=customer_intimacy").get_json()
    assert (intimacy["what_if"]["attainment_one_decimal"], intimacy["what_if"]["band"],
            intimacy["what_if"]["rated_count"], intimacy["what_if"]["banded"]) == (
        "87.0", "meets", 3, True)


def test_refusals_and_scope(api):
    finance, head = api("finance"), api("unit_head")  # the head sees GRP, ALT and LAB
    assert finance.get(URL.format("ALT") + "?scorecard_of=DC").status_code == 409
    assert finance.get(URL.format("ALT") + "?scorecard_of=NOPE").status_code == 422
    assert finance.get(URL.format("ALT") + "?template=nope").status_code == 404
    both = finance.get(URL.format("ALT") + "?scorecard_of=WW&template=customer_intimacy")
    assert both.status_code == 422 and "template" in both.get_json()["errors"]
    assert head.get(URL.format("ALT") + "?scorecard_of=LAB").status_code == 200
    assert head.get(URL.format("ALT") + "?scorecard_of=WW").status_code == 403
    assert head.get(URL.format("WW") + "?scorecard_of=ALT").status_code == 403
    assert finance.get("/api/v1/units/ALT/ratings/2026-07").status_code == 404


def test_documented_in_openapi(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/units/{code}/ratings/{period}"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"scorecard_of", "template"}
    assert "WhatIf" in spec["components"]["schemas"]
