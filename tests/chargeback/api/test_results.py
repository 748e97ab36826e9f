"""Ratings, portfolio, charges and journal of the closed 2026-03: the pack's figures
(tests/chargeback/test_close_end_to_end.py), as decimal strings, cut to the user's scope."""

from __future__ import annotations

import csv
import io
import json
import threading
from decimal import Decimal


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_ratings_with_explanations(api):
    body = api("finance").get("/api/v1/ratings?period=2026-03").get_json()
    assert body["period"] == "2026-03"
    by_unit = {r["unit"]: r for r in body["ratings"]}
    assert list(by_unit) == ["ALT", "LAB", "WW"]  # tree order; DC has no scorecard
    ww = by_unit["WW"]
    assert ww["attainment_one_decimal"] == "80.8" and ww["band"] == "meets"
    assert Decimal(ww["attainment"]) - Decimal("80.8333333") < Decimal("0.0000001")
    assert ww["service_model"] == "operational_excellence" and ww["scorecard_version"] == 1
    alt = by_unit["ALT"]
    assert alt["attainment_one_decimal"] == "87.0"
    unrated = next(c for c in alt["criteria"] if c["key"] == "spend_per_seat")
    assert unrated["score"] is None and unrated["note"] == "missing measure seats"
    assert "not rated" in unrated["explanation"]
    csat = next(c for c in alt["criteria"] if c["key"] == "csat")
    assert (csat["actual"].rstrip("0"), csat["score"], csat["target"]) == ("4.6", "100", "4.5")
    one = api("finance").get("/api/v1/ratings/2026-03/WW").get_json()
    assert one == ww
    latest = api("finance").get("/api/v1/ratings").get_json()
    assert latest["period"] == "2026-03"


def test_a_unit_heads_token_cannot_read_another_units_ratings(api):
    head = api("unit_head")  # GRP, with ALT and LAB below it
    assert head.get("/api/v1/ratings/2026-03/ALT").status_code == 200
    refused = head.get("/api/v1/ratings/2026-03/WW")
    assert refused.status_code == 403
    assert refused.get_json() == {"message": "Unit WW is outside your units.", "errors": {}}
    assert head.get("/api/v1/ratings?period=2026-03&unit=WW").status_code == 403
    mine = head.get("/api/v1/ratings?period=2026-03").get_json()
    assert [r["unit"] for r in mine["ratings"]] == ["ALT", "LAB"]
    assert api("other_head").get("/api/v1/ratings/2026-03/ALT").status_code == 403


def test_ratings_need_a_closed_period(api):
    finance = api("finance")
    assert finance.get("/api/v1/ratings/2026-03/DC").status_code == 404  # not rated
    assert finance.get("/api/v1/ratings/2026-03/NOPE").status_code == 404
    assert finance.get("/api/v1/ratings?period=2026-07").status_code == 404
    assert finance.get("/api/v1/ratings?period=2026-3").status_code == 422
    far = finance.get("/api/v1/ratings?period=1899-12")  # a month, outside the range kept
    assert far.status_code == 422 and far.get_json()["errors"]["period"] == [
        "'1899-12' is outside the periods kept (1900-01 to 2999-12)."]
    api("central_it").post("/api/v1/periods/2026-03/reopen", json={"reason": "fix"})
    reopened = finance.get("/api/v1/ratings?period=2026-03")
    assert reopened.status_code == 409 and "is open" in reopened.get_json()["message"]
    assert finance.get("/api/v1/ratings").status_code == 404  # nothing closed now


def test_portfolio_is_the_pages_roll_up(api):
    body = api("finance").get("/api/v1/portfolio?period=2026-03").get_json()
    assert body["currency"] == "USD" and len(body["notes"]) == 6
    assert "1,000.00 is showback" in body["notes"][2]
    assert body["notes"][3].startswith("No budget for 2026-03: DC, GRP, HQ, LAB")
    rows = {r["unit"]: r for r in body["rows"]}
    assert list(rows) == ["HQ", "DC", "GRP", "ALT", "LAB", "WW"]
    hq = rows["HQ"]
    assert (hq["spend"], hq["budget"], hq["charged"], hq["absorbed"]) == (
        "142500.00", None, "142000.00", "500.00")  # DC and LAB have no budget
    assert hq["without_budget"] == ["DC", "GRP", "HQ", "LAB"] and hq["variance"] is None
    assert (rows["WW"]["variance"], rows["WW"]["ytd_spend"], rows["WW"]["prior_spend"]) == (
        "-2000.00", "50000.00", None)
    assert hq["showback"] == "1000.00"
    assert hq["internal_eliminated"] == "600.00" and hq["attainment_one_decimal"] == "84.7"
    assert hq["is_group"] is True and hq["band_counts"]["meets"] == 3
    assert rows["DC"]["attainment"] is None and rows["DC"]["band"] == "unrated"
    assert rows["LAB"]["recovery_pct"].startswith("66.66")
    assert rows["ALT"]["budget"] == "88000.00" and rows["DC"]["budget"] is None


def test_portfolio_is_scoped_and_filtered_like_the_page(api):
    head = api("unit_head")
    mine = head.get("/api/v1/portfolio?period=2026-03").get_json()
    assert [r["unit"] for r in mine["rows"]] == ["GRP", "ALT", "LAB"]
    assert mine["notes"] == []  # the holding's figures are not a unit head's (as on the page)
    assert head.get("/api/v1/portfolio?group=WW").status_code == 403
    finance = api("finance")
    group = finance.get("/api/v1/portfolio?group=GRP").get_json()
    assert [r["unit"] for r in group["rows"]] == ["GRP", "ALT", "LAB"]
    model = finance.get("/api/v1/portfolio?model=operational_excellence").get_json()
    assert [r["unit"] for r in model["rows"]] == ["HQ", "DC", "WW"]
    assert group["notes"] == [] and model["notes"] == []
    assert len(finance.get("/api/v1/portfolio").get_json()["notes"]) == 6
    bad = finance.get("/api/v1/portfolio?model=nope&group=NOPE")
    assert bad.status_code == 422 and "group" in bad.get_json()["errors"]


def test_charges_page_with_a_cursor(api):
    finance = api("finance")
    seen, cursor = [], None
    for _ in range(5):
        url = "/api/v1/charges?period=2026-03&limit=4" + (f"&cursor={cursor}" if cursor else "")
        response = finance.get(url)
        page = response.get_json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            assert "Link" not in response.headers
            break
        assert 'rel="next"' in response.headers["Link"]
    assert len(seen) == 9 and len({c["id"] for c in seen}) == 9
    cpu = next(c for c in seen if c["consumer"] == "C-ALT")
    assert (cpu["unit"], cpu["service"], cpu["quantity"], cpu["rate"], cpu["amount"]) == (
        "DC", "CPU", "10000", "0.06", "600.00")
    split = next(c for c in seen if c["unit"] == "WW" and c["consumer"] == "LINE1")
    assert (split["method"], split["service"], split["amount"]) == ("fixed", None, "30000.00")
    assert sum(Decimal(c["amount"]) for c in seen) == Decimal("142600.00")
    filtered = finance.get("/api/v1/charges?period=2026-03&unit=ALT&method=driver").get_json()
    assert [c["amount"] for c in filtered["items"]] == ["30200.00", "60400.00"]
    other = finance.get(f"/api/v1/journal?period=2026-03&cursor={cursor or 'Y2hhcmdlczoz'}")
    assert other.status_code == 422  # a charges cursor is not a journal cursor


def test_a_unit_head_gets_their_units_charges_only(api):
    head = api("unit_head")
    items = head.get("/api/v1/charges?period=2026-03").get_json()["items"]
    assert {c["unit"] for c in items} == {"ALT", "LAB"}
    assert head.get("/api/v1/charges?period=2026-03&unit=DC").status_code == 403
    csv_rows = rows_of(head.get("/api/v1/charges.csv?period=2026-03"))
    assert {r["Unit"] for r in csv_rows} == {"ALT", "LAB"}


def test_charges_as_csv_with_the_packs_columns(api):
    rows = rows_of(api("finance").get("/api/v1/charges.csv?period=2026-03"))
    assert list(rows[0]) == ["Period", "Unit", "Service", "Consumer", "Consumer name",
                             "Method", "Basis", "Billing mode", "Quantity", "Rate", "Amount"]
    assert len(rows) == 9
    lab = next(r for r in rows if r["Unit"] == "LAB")
    assert (lab["Billing mode"], lab["Quantity"], lab["Rate"], lab["Amount"]) == (
        "showback", "10", "100", "1000.00")


def test_charges_as_focus_csv(api):
    rows = rows_of(api("finance").get("/api/v1/charges/focus.csv?period=2026-03"))
    assert len(rows) == 9
    first = rows[0]
    for column in ("BillingPeriodStart", "BillingPeriodEnd", "BilledCost", "BillingCurrency",
                   "ServiceName", "SubAccountId", "AllocatedMethodId",
                   "AllocatedMethodDetails"):
        assert column in first
    assert (first["BillingPeriodStart"], first["BillingPeriodEnd"]) == (
        "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert {r["BillingCurrency"] for r in rows} == {"USD"}
    assert {r["BillingAccountId"] for r in rows} == {"HQ"}
    usage = next(r for r in rows if r["SubAccountId"] == "C-ALT")
    assert (usage["ServiceName"], usage["BilledCost"], usage["ConsumedQuantity"],
            usage["ConsumedUnit"], usage["ListUnitPrice"]) == (
        "Compute", "600.00", "10000", "core-hour", "0.06")
    assert usage["AllocatedMethodId"] == "" and usage["AllocatedMethodDetails"] == ""
    drivers = [r for r in rows if r["x_ProviderUnitCode"] == "ALT"]
    assert [r["AllocatedMethodId"] for r in drivers] == ["driver:all", "driver:all"]
    details = [json.loads(r["AllocatedMethodDetails"], parse_float=Decimal) for r in drivers]
    ratios = [d["Elements"][0]["AllocatedRatio"] for d in details]
    assert ratios[0] == Decimal("0.333333333333") and ratios[1] == Decimal("0.666666666667")
    assert details[0]["Elements"][0]["UsageUnit"] == "headcount"
    assert drivers[1]["AllocatedResourceId"] == "LAB2"
    assert json.loads(drivers[0]["AllocatedTags"]) == {"pool": "all", "driver": "headcount"}
    fixed = next(r for r in rows if r["SubAccountId"] == "LINE1")
    assert json.loads(fixed["AllocatedMethodDetails"])["Elements"][0]["AllocatedRatio"] == 0.6
    showback = next(r for r in rows if r["x_BillingMode"] == "showback")
    assert (showback["BilledCost"], showback["EffectiveCost"]) == ("0.00", "1000.00")
    billed = sum(Decimal(r["BilledCost"]) for r in rows)
    assert billed == Decimal("141600.00")  # the journal's debits: everything but showback


def test_journal_json_and_csv(api):
    finance = api("finance")
    items = finance.get("/api/v1/journal?period=2026-03&limit=1000").get_json()["items"]
    assert {line["unit"] for line in items} == {"DC", "ALT", "WW"}
    assert sum(Decimal(i["debit"]) for i in items) == sum(Decimal(i["credit"]) for i in items)
    rows = rows_of(finance.get("/api/v1/journal.csv?period=2026-03"))
    assert list(rows[0]) == ["Journal", "Period", "Unit", "Account", "Consumer",
                             "Description", "Debit", "Credit", "Currency"]
    by = {(r["Unit"], r["Account"]): r for r in rows}
    assert by[("DC", "6900-ALT")]["Debit"] == "600.00"
    assert by[("DC", "4900-DC")]["Credit"] == "1000.00"
    dc = rows_of(finance.get("/api/v1/journal.csv?period=2026-03&unit=DC"))
    assert {r["Unit"] for r in dc} == {"DC"} and len(dc) == 4
    assert finance.get("/api/v1/journal.csv?period=2026-04").status_code == 404
    assert finance.get("/api/v1/journal.csv").status_code == 422


def test_a_units_spend_as_on_its_page(api):
    body = api("unit_head").get("/api/v1/units/ALT/spend").get_json()
    assert body["unit"] == "ALT" and body["pools"] == ["labor"]
    assert body["months"] == [{
        "period": "2026-03", "pools": {"labor": "90000.00"}, "internal_received": "600.00",
        "spend": "90600.00", "budget": "88000.00", "variance": "2600.00",
        "charged": "90600.00"}]
    assert api("unit_head").get("/api/v1/units/WW/spend").status_code == 403


def test_csv_exports_stream_in_their_own_request_context(api):
    """In production each request has its own app context, torn down (its session removed)
    before the streamed body is read. The tests' app context hides that, so the exports are
    fetched from another thread, which has none."""
    finance = api("finance")
    answers, failures = {}, []

    def fetch():
        try:
            for url in ("/api/v1/charges.csv?period=2026-03",
                        "/api/v1/journal.csv?period=2026-03",
                        "/api/v1/charges/focus.csv?period=2026-03"):
                response = finance.get(url)
                answers[url] = (response.status_code,
                                response.get_data(as_text=True).count("\n"))
        except Exception as exc:  # reported below, in the test's own thread
            failures.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    worker.join()
    assert not failures, failures
    assert answers == {"/api/v1/charges.csv?period=2026-03": (200, 10),
                       "/api/v1/journal.csv?period=2026-03": (200, 11),
                       "/api/v1/charges/focus.csv?period=2026-03": (200, 10)}
