"""GET /api/v1/units/{code}/catalog: the catalog page's figures as JSON, with the unit's
roles and scopes (the company of ``tests/chargeback/web/test_service_catalog_page.py``)."""

from __future__ import annotations

from tests.chargeback.web.test_service_catalog_page import catalog_company  # noqa: F401


def test_the_api_gives_the_catalog(catalog_company, api):  # noqa: F811
    answer = api("central_it").get("/api/v1/units/DC/catalog?period=2026-03")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["unit"], body["period"], body["frozen"]) == ("DC", "2026-03", True)
    (cpu,) = body["services"]
    assert cpu["owner_email"] == "ops@example.com"
    assert cpu["counts"] == {"met": 2, "missed": 2, "no result": 0}
    priority = next(o for o in cpu["offerings"] if o["code"] == "priority")
    assert priority["targets"][0] == {
        "measure": "availability", "target": "99.9", "direction": "higher", "result": "99.7",
        "result_from": "service", "name": "sla.CPU.availability", "status": "missed"}
    assert {r["name"]: r["value"] for r in cpu["results"]} == {
        "sla.CPU.availability": "99.7", "sla.CPU.priority.response_hours": "5",
        "sla.CPU.standard.response_hours": "6"}


def test_the_api_keeps_roles_and_scopes(catalog_company, api):  # noqa: F811
    head = api("unit_head")
    assert head.get("/api/v1/units/LAB/catalog").status_code == 200
    assert head.get("/api/v1/units/DC/catalog").status_code == 403
    assert api("finance").get("/api/v1/units/DC/catalog?period=2031-01").status_code == 404
    assert api("finance").get("/api/v1/units/NOPE/catalog").status_code == 404
    assert api("finance").get("/api/v1/units/DC/catalog?period=2026-3").status_code == 422


def test_a_unit_head_imports_results_of_their_own_units_services_only(catalog_company, api):  # noqa: F811
    head = api("unit_head")  # GRP: ALT and LAB below it, not DC
    mine = head.post("/api/v1/imports/sla_results/rows", json={"rows": [
        {"period": "2026-04", "service_code": "PROTO", "offering": "standard",
         "measure": "on_time_pct", "value": 88}]})
    assert mine.status_code == 201, mine.get_json()
    other = head.post("/api/v1/imports/sla_results/rows", json={"rows": [
        {"period": "2026-04", "service_code": "CPU", "measure": "availability",
         "value": 99}]})
    assert other.status_code == 422
    assert any("'CPU' is a service of DC, not one of your units" in e
               for e in str(other.get_json()).split("line ")), other.get_json()
    targets = head.post("/api/v1/imports/sla_targets/rows", json={"rows": [
        {"service_code": "PROTO", "offering": "standard", "measure": "x", "target": 1,
         "direction": "higher"}]})
    assert targets.status_code == 403  # a unit head imports results, not the catalog
