"""Scorecards: unit heads draft and submit, central IT approves or sends back; 409 and 422."""

from __future__ import annotations

import copy

from chargeback.api.scorecards import DRAFT_EXAMPLE


def draft(**changes) -> dict:
    body = copy.deepcopy(DRAFT_EXAMPLE)
    body.update(changes)
    return body


def test_versions_of_a_unit(api):
    versions = api("finance").get("/api/v1/units/WW/scorecards").get_json()
    assert [(v["version"], v["status"], v["effective_from"]) for v in versions] == [
        (2, "approved", "2026-04"), (1, "approved", "2026-01")]
    first = versions[1]
    assert first["criteria"][0] == {
        "key": "cost_per_seat", "label": "Desktop cost per seat",
        "expr": "desktop_spend / seats", "direction": "lower", "method": "linear",
        "target": "45", "floor": "65", "weight": "3", "bands": []}
    one = api("finance").get(f"/api/v1/scorecards/{first['id']}").get_json()
    assert one == first
    assert api("unit_head").get("/api/v1/units/WW/scorecards").status_code == 403
    assert api("unit_head").get(f"/api/v1/scorecards/{first['id']}").status_code == 403
    assert api("finance").get("/api/v1/scorecards/9999").status_code == 404


def test_a_unit_head_drafts_updates_and_submits(api):
    head = api("unit_head")
    created = head.post("/api/v1/units/ALT/scorecards", json=draft())
    assert created.status_code == 201, created.get_json()
    version = created.get_json()
    assert (version["status"], version["version"], version["created_by"]) == (
        "draft", 2, "head@example.com")
    assert version["criteria"][1]["bands"] == [{"at": "1", "score": "100"},
                                               {"at": "1.05", "score": "70"}]
    assert version["warnings"] == []
    changed = draft()
    changed["criteria"][0]["target"] = 4.7  # a JSON number, read exactly
    updated = head.post("/api/v1/units/ALT/scorecards", json=changed)
    assert updated.status_code == 200 and updated.get_json()["id"] == version["id"]
    assert updated.get_json()["criteria"][0]["target"] == "4.7"
    submitted = head.post(f"/api/v1/scorecards/{version['id']}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    waiting = head.post("/api/v1/units/ALT/scorecards", json=draft())
    assert waiting.status_code == 409 and "central IT" in waiting.get_json()["message"]
    again = head.post(f"/api/v1/scorecards/{version['id']}/submit")
    assert again.status_code == 409


def test_drafts_are_checked_like_the_file(api):
    head = api("unit_head")
    no_target = draft()
    del no_target["criteria"][0]["target"]
    response = head.post("/api/v1/units/ALT/scorecards", json=no_target)
    assert response.status_code == 422
    assert "criteria.0.target" in response.get_json()["errors"]
    closed = head.post("/api/v1/units/ALT/scorecards", json=draft(effective_from="2026-03"))
    assert closed.status_code == 422
    assert "after the last closed period" in closed.get_json()["errors"]["effective_from"][0]
    shape = head.post("/api/v1/units/ALT/scorecards",
                      json={"effective_from": "May", "criteria": [{"key": "x",
                                                                   "weight": "lots"}]})
    assert shape.status_code == 422
    assert {"effective_from", "criteria.0.weight", "criteria.0.label"} <= set(
        shape.get_json()["errors"])


def test_who_may_draft(api):
    assert api("finance").post("/api/v1/units/ALT/scorecards", json=draft()).status_code == 403
    assert api("unit_head").post("/api/v1/units/WW/scorecards", json=draft()).status_code == 403
    assert api("central_it").post("/api/v1/units/ALT/scorecards",
                                  json=draft()).status_code == 201


def _submitted(api) -> int:
    head = api("unit_head")
    version = head.post("/api/v1/units/ALT/scorecards", json=draft()).get_json()
    head.post(f"/api/v1/scorecards/{version['id']}/submit")
    return version["id"]


def test_central_it_approves_from_an_open_month(api):
    version_id = _submitted(api)
    assert api("unit_head").post(f"/api/v1/scorecards/{version_id}/approve").status_code == 403
    cit = api("central_it")
    bad = cit.post(f"/api/v1/scorecards/{version_id}/approve", json={"effective_from": "2026-02"})
    assert bad.status_code == 422 and "effective_from" in bad.get_json()["errors"]
    approved = cit.post(f"/api/v1/scorecards/{version_id}/approve",
                        json={"effective_from": "2026-04"})
    assert approved.status_code == 200
    body = approved.get_json()
    assert (body["status"], body["effective_from"], body["approved_by"]) == (
        "approved", "2026-04", "cit@example.com")
    twice = cit.post(f"/api/v1/scorecards/{version_id}/approve")
    assert twice.status_code == 409 and "only a submitted version" in twice.get_json()["message"]
    listed = api("unit_head").get("/api/v1/units/ALT/scorecards?status=approved").get_json()
    assert [v["effective_from"] for v in listed] == ["2026-04", "2026-01"]


def test_central_it_sends_back_with_a_comment(api):
    version_id = _submitted(api)
    cit = api("central_it")
    empty = cit.post(f"/api/v1/scorecards/{version_id}/send-back", json={"comment": ""})
    assert empty.status_code == 422 and "comment" in empty.get_json()["errors"]
    blank = cit.post(f"/api/v1/scorecards/{version_id}/send-back", json={"comment": "  "})
    assert blank.status_code == 422 and list(blank.get_json()["errors"]) == ["comment"]
    back = cit.post(f"/api/v1/scorecards/{version_id}/send-back",
                    json={"comment": "Add a turnaround criterion."})
    assert back.status_code == 200
    assert (back.get_json()["status"], back.get_json()["comment"]) == (
        "draft", "Add a turnaround criterion.")
    assert cit.post(f"/api/v1/scorecards/{version_id}/send-back",
                    json={"comment": "again"}).status_code == 409
