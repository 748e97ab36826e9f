"""Units (the tree), service models, consumers, services and rate cards: good paths, scope."""

from __future__ import annotations


def test_units_are_the_tree_in_tree_order(api):
    units = api("finance").get("/api/v1/units").get_json()
    assert [(u["code"], u["depth"], u["parent"]) for u in units] == [
        ("HQ", 0, None), ("DC", 1, "HQ"), ("GRP", 1, "HQ"), ("ALT", 2, "GRP"),
        ("LAB", 2, "GRP"), ("WW", 1, "HQ")]
    lab = next(u for u in units if u["code"] == "LAB")
    assert lab["billing_mode"] == "showback" and lab["service_model"] == "product_leadership"
    assert lab["recovery_account"] == "4900-LAB" and lab["active"] is True


def test_a_unit_head_sees_their_subtree_only(api):
    head = api("unit_head")  # GRP, so ALT and LAB too
    assert [u["code"] for u in head.get("/api/v1/units").get_json()] == ["GRP", "ALT", "LAB"]
    alt = head.get("/api/v1/units/ALT").get_json()
    assert (alt["code"], alt["parent"], alt["depth"]) == ("ALT", "GRP", 2)
    refused = head.get("/api/v1/units/WW")
    assert refused.status_code == 403 and "outside your units" in refused.get_json()["message"]
    assert head.get("/api/v1/units/NOPE").status_code == 404


def test_service_models_and_consumers(api):
    models = api("unit_head").get("/api/v1/service-models").get_json()
    assert {m["code"] for m in models} == {"customer_intimacy", "operational_excellence",
                                           "product_leadership", "venture"}
    consumers = api("finance").get("/api/v1/consumers").get_json()
    assert {"code": "C-ALT", "name": "Altoona computing", "gl_account": "6900-ALT",
            "unit": "ALT"} in consumers
    assert api("unit_head").get("/api/v1/consumers").status_code == 403


def test_services_carry_their_rate_cards_as_decimal_strings(api):
    services = api("central_it").get("/api/v1/services?period=2026-04").get_json()
    cpu = next(s for s in services if s["code"] == "CPU")
    assert cpu["unit"] == "DC" and cpu["uom"] == "core-hour"
    assert cpu["rates"] == [{"effective_from": "2026-01", "price": "0.05"},
                            {"effective_from": "2026-03", "price": "0.06"},
                            {"effective_from": "2026-06", "price": "0.07"}]
    assert cpu["price_in_force"] == "0.06"
    head = api("unit_head").get("/api/v1/services").get_json()
    assert [s["code"] for s in head] == ["PROTO"]  # LAB's; DC is outside GRP
    assert api("unit_head").get("/api/v1/services?unit=DC").status_code == 403


def test_rate_cards_in_force_for_a_month(api):
    cards = api("finance").get("/api/v1/rate-cards?period=2026-05").get_json()
    assert cards == [{"service": "CPU", "unit": "DC", "effective_from": "2026-03",
                      "price": "0.06"},
                     {"service": "PROTO", "unit": "LAB", "effective_from": "2026-01",
                      "price": "100"}]
    every = api("finance").get("/api/v1/rate-cards?service=CPU").get_json()
    assert [c["effective_from"] for c in every] == ["2026-01", "2026-03", "2026-06"]


def test_bad_query_values_are_422_with_the_field_named(api):
    response = api("finance").get("/api/v1/rate-cards?period=2026-13&unit=NOPE")
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"period"}
    unknown = api("finance").get("/api/v1/services?unit=NOPE")
    assert unknown.status_code == 422 and "unit" in unknown.get_json()["errors"]
    nul = api("finance").get("/api/v1/services?unit=A%00B")
    assert nul.status_code == 422 and "unit" in nul.get_json()["errors"]


def test_settings_give_the_currency_and_band_limits(api):
    assert api("unit_head").get("/api/v1/settings").get_json() == {
        "currency": "USD", "bands": {"exceeds": "90", "meets": "70", "watch": "50"}}
