"""The usage lines behind the usage charges of the closed 2026-03 (GET /usage, /usage.csv):
paged by cursor, filtered, as CSV, cut to a unit head's units, and summing, per consumer
and service, to the quantity of the usage charge line the close made of them."""

from __future__ import annotations

import csv
import io
import threading
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.usage_split import LINES, SPLIT, split_march_usage, total


@pytest.fixture
def split(company, users, runner, tmp_path):
    split_march_usage(runner, tmp_path)


def every_page(client, url: str, limit: int) -> tuple[list[dict], int]:
    """Every item of a paged list, following next_cursor; and how many pages it took."""
    items, cursor, pages = [], None, 0
    while True:
        response = client.get(f"{url}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        page = response.get_json()
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            assert "Link" not in response.headers
            return items, pages
        assert len(page["items"]) == limit
        assert f"cursor={cursor}" in response.headers["Link"]
        assert 'rel="next"' in response.headers["Link"]


def sums(items: list[dict]) -> dict[tuple[str, str], Decimal]:
    found: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for item in items:
        found[(item["consumer"], item["service"])] += Decimal(item["quantity"])
    return dict(found)


def test_usage_pages_with_a_cursor_and_adds_up_to_the_usage_charges(api, split):
    finance = api("finance")
    items, pages = every_page(finance, "/api/v1/usage?period=2026-03", 50)
    assert pages == 3 and len(items) == LINES
    ids = [i["id"] for i in items]
    assert ids == sorted(ids) and len(set(ids)) == LINES  # import order, no line twice
    first = next(i for i in items if i["service"] == "PROTO")
    assert {k: v for k, v in first.items() if k not in ("id", "batch")} == {
        "period": "2026-03", "unit": "LAB", "service": "PROTO", "consumer": "LAB1",
        "consumer_name": "Materials lab", "quantity": "2.5", "uom": "project-hour"}
    assert len({i["batch"] for i in items}) == 1 and isinstance(first["batch"], int)
    charges = finance.get("/api/v1/charges?period=2026-03&method=usage").get_json()["items"]
    assert sums(items) == {(c["consumer"], c["service"]): Decimal(c["quantity"])
                           for c in charges}
    assert sums(items) == {key: total(*key) for key in SPLIT}


def test_usage_filters(api, split):
    finance = api("finance")
    lab = finance.get("/api/v1/usage?period=2026-03&unit=LAB").get_json()["items"]
    assert {(i["unit"], i["service"]) for i in lab} == {("LAB", "PROTO")} and len(lab) == 4
    cpu = finance.get("/api/v1/usage?period=2026-03&service=CPU&consumer=LAB1&limit=1000")
    assert [i["quantity"] for i in cpu.get_json()["items"]] == ["1111.111"] * 3
    c_alt = finance.get("/api/v1/usage?period=2026-03&consumer=C-ALT&limit=1000").get_json()
    assert len(c_alt["items"]) == 125 and c_alt["next_cursor"] is None
    assert {i["unit"] for i in c_alt["items"]} == {"DC"}
    none = finance.get("/api/v1/usage?period=2026-03&consumer=LINE1").get_json()
    assert none == {"items": [], "next_cursor": None}
    unknown = finance.get("/api/v1/usage?period=2026-03&unit=NOPE")
    assert unknown.status_code == 422  # a query value, as for /charges
    assert unknown.get_json()["errors"] == {"unit": ["There is no unit 'NOPE'."]}


def test_usage_csv(api, split):
    response = api("finance").get("/api/v1/usage.csv?period=2026-03&consumer=LAB1")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="usage-2026-03.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("Line,Period,Unit,Service,Consumer,Consumer name,Quantity,"
                           "Unit of measure,Batch\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 7
    assert [(r["Unit"], r["Service"], r["Quantity"], r["Unit of measure"]) for r in rows] == (
        [("DC", "CPU", "1111.111", "core-hour")] * 3 + [("LAB", "PROTO", "2.5", "project-hour")] * 4)
    json_items = api("finance").get(
        "/api/v1/usage?period=2026-03&consumer=LAB1").get_json()["items"]
    assert [int(r["Line"]) for r in rows] == [i["id"] for i in json_items]
    assert {r["Batch"] for r in rows} == {str(json_items[0]["batch"])}
    assert {(r["Period"], r["Consumer"], r["Consumer name"]) for r in rows} == {
        ("2026-03", "LAB1", "Materials lab")}


def test_a_unit_head_gets_the_usage_of_their_units_services_only(api, split):
    head = api("unit_head")  # GRP, with ALT and LAB below it: LAB sells PROTO
    items = head.get("/api/v1/usage?period=2026-03&limit=1000").get_json()["items"]
    assert {i["service"] for i in items} == {"PROTO"} and len(items) == 4
    refused = head.get("/api/v1/usage?period=2026-03&unit=DC")
    assert refused.status_code == 403
    assert refused.get_json() == {"message": "Unit DC is outside your units.", "errors": {}}
    assert head.get("/api/v1/usage.csv?period=2026-03&unit=DC").status_code == 403
    rows = list(csv.DictReader(io.StringIO(
        head.get("/api/v1/usage.csv?period=2026-03").get_data(as_text=True))))
    assert {r["Unit"] for r in rows} == {"LAB"} and len(rows) == 4
    # C-ALT is ALT's consumer, but the service is DC's: not theirs to see
    assert head.get("/api/v1/usage?period=2026-03&consumer=C-ALT").get_json()["items"] == []
    other = api("other_head")  # WW sells no service
    assert other.get("/api/v1/usage?period=2026-03").get_json()["items"] == []


def test_usage_needs_a_closed_period(api, company, users, runner):
    finance = api("finance")
    assert finance.get("/api/v1/usage?period=2026-03").status_code == 200
    assert finance.get("/api/v1/usage?period=2026-07").status_code == 404
    assert finance.get("/api/v1/usage.csv?period=2026-07").status_code == 404
    assert finance.get("/api/v1/usage?period=2026-3").status_code == 422
    assert finance.get("/api/v1/usage").status_code == 422  # the period is required
    run(runner, "reopen", "2026-03", "--reason", "late usage")
    for url in ("/api/v1/usage?period=2026-03", "/api/v1/usage.csv?period=2026-03"):
        refused = finance.get(url)
        assert refused.status_code == 409, url
        assert refused.get_json()["errors"] == {"period": ["2026-03 is open."]}


def test_a_cursor_of_another_list_is_refused(api, split):
    finance = api("finance")
    charges = finance.get("/api/v1/charges?period=2026-03&limit=2").get_json()
    assert charges["next_cursor"]
    refused = finance.get(f"/api/v1/usage?period=2026-03&cursor={charges['next_cursor']}")
    assert refused.status_code == 422 and "cursor" in refused.get_json()["errors"]
    usage = finance.get("/api/v1/usage?period=2026-03&limit=2").get_json()
    assert usage["next_cursor"]
    follows = finance.get(f"/api/v1/usage?period=2026-03&limit=2&cursor={usage['next_cursor']}")
    assert follows.status_code == 200
    assert finance.get(f"/api/v1/charges?period=2026-03&cursor={usage['next_cursor']}"
                       ).status_code == 422


def test_usage_csv_streams_in_its_own_request_context(api, split):
    """As the other exports (test_results.py): the body is read after the request's app
    context, and its session, are gone; the lines are read in chunks on their own."""
    finance = api("finance")
    answers, failures = [], []

    def fetch():
        try:
            response = finance.get("/api/v1/usage.csv?period=2026-03")
            answers.append((response.status_code, response.get_data(as_text=True).count("\n")))
        except Exception as exc:  # reported below, in the test's own thread
            failures.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    worker.join()
    assert not failures, failures
    assert answers == [(200, LINES + 1)]


def test_the_openapi_document_describes_the_usage_lines(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    for path in ("/api/v1/usage", "/api/v1/usage.csv"):
        operation = spec["paths"][path]["get"]
        params = {p["name"]: p["required"] for p in operation["parameters"]}
        assert {k: v for k, v in params.items() if k not in ("cursor", "limit")} == {
            "period": True, "unit": False, "consumer": False, "service": False}, path
        assert set(operation["responses"]) == {"200", "401", "403", "404", "409", "422"}
        assert operation["tags"] == ["results"] and operation["summary"]
    assert {"cursor", "limit"} <= {p["name"] for p in spec["paths"]["/api/v1/usage"]["get"][
        "parameters"]}
    csv_answer = spec["paths"]["/api/v1/usage.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv_answer) == ["text/csv"]
    page = spec["components"]["schemas"]["UsagePage"]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/UsageLine"}
    line = spec["components"]["schemas"]["UsageLine"]
    assert set(line["required"]) == {"id", "period", "unit", "service", "consumer",
                                     "consumer_name", "quantity", "uom", "batch"}
