"""The variability API: today's stances and a closed month's, stated by a unit head (all
or nothing, errors keyed as the request names them), in scope only.

The company: the end-to-end one, 2026-03 closed; LAB's PROTO (product leadership) has its
template's proposals: accommodate request and subjective preference, reduce the rest.
"""

from __future__ import annotations

from sqlalchemy import func, select

from chargeback.models import ServiceVariability


def test_the_api_reads_and_states(api, session):
    head = api("unit_head")
    answer = head.get("/api/v1/units/LAB/variability").get_json()
    assert answer["period"] is None
    proto = answer["services"][0]
    assert proto["code"] == "PROTO" and proto["stances"][1] == {
        "kind": "request", "stance": "accommodate", "note": None, "source": "template"}
    stated = head.put("/api/v1/units/LAB/variability", json={"stances": [
        {"service": "PROTO", "kind": "arrival", "stance": "accommodate",
         "note": "any day"}]})
    assert stated.status_code == 200
    assert stated.get_json()["services"][0]["stances"][0] == {
        "kind": "arrival", "stance": "accommodate", "note": "any day", "source": "stated"}
    frozen = head.get("/api/v1/units/LAB/variability?period=2026-03").get_json()
    assert frozen["period"] == "2026-03"
    assert frozen["services"][0]["stances"][0]["stance"] == "reduce"
    refused = head.put("/api/v1/units/LAB/variability", json={"stances": [
        {"service": "PROTO", "kind": "effort", "stance": "reduce"},
        {"service": "PROTO", "kind": "arrival", "stance": "tolerate"}]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "stances.1.stance": ["'tolerate' is not a stance: write reduce or accommodate"]}
    assert session.scalar(select(func.count()).select_from(ServiceVariability)) == 1
    assert api("finance").put("/api/v1/units/LAB/variability", json={"stances": [
        {"service": "PROTO", "kind": "effort", "stance": "reduce"}]}).status_code == 403
    assert api("other_head").get("/api/v1/units/LAB/variability").status_code == 403
    # a month that is not closed: today's stances, marked not frozen (as the web page)
    open_month = head.get("/api/v1/units/LAB/variability?period=2026-04")
    assert open_month.status_code == 200
    body = open_month.get_json()
    assert (body["period"], body["frozen"]) == ("2026-04", False)
    assert body["note"] == ("2026-04 is not a closed period: these are today's stances, "
                            "which a month's close freezes.")
    assert body["services"] == head.get("/api/v1/units/LAB/variability").get_json()[
        "services"]
    assert body["services"][0]["stances"][0]["stance"] == "accommodate"  # today's arrival
    assert frozen["frozen"] is True and frozen["note"] is None
    assert answer["frozen"] is False and answer["note"] is None
    refused = api("finance").put("/api/v1/units/LAB/variability", json={"stances": [
        {"service": "PROTO", "kind": "effort", "stance": "reduce"}]})
    assert refused.get_json()["message"] == "A finance user does not state stances."
