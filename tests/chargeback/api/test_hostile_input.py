"""Issue 12's findings through the API: hostile numbers, bodies too big or too deep, duplicate
keys, periods the database would refuse. Every answer is a 4xx in the API's error shape,
never a 500, and nothing changes."""

from __future__ import annotations

import copy
import io
import json
import time

import pytest

from chargeback.api.scorecards import DRAFT_EXAMPLE
from tests.chargeback.helpers import data_fingerprint

JSON = {"Content-Type": "application/json"}


def metric_rows(value: str) -> bytes:
    return ('{"rows": [{"period": "2026-04", "unit_code": "ALT", "measure": "seats", '
            f'"value": {value}}}]}}').encode()


def test_a_huge_exponent_in_json_rows_is_refused_at_once(api):
    """An 87-byte body with ``"value":1e99999999`` took 16 s and 630 MB before its 422."""
    head = api("unit_head")
    before = data_fingerprint()
    started = time.monotonic()
    response = head.post("/api/v1/imports/metrics/rows", data=metric_rows("1e99999999"),
                         headers=JSON)
    assert time.monotonic() - started < 3
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]  # the row's "value" cell (a dict's value)
    assert list(errors) == ["rows.0.value.value"] and "number" in errors["rows.0.value.value"][0]
    assert data_fingerprint() == before


@pytest.mark.parametrize("value", ["1e99999999", "-1e-99999999", "9" * 5000, '"1e3"',
                                   '"١٢٣"'])
def test_hostile_numbers_in_rows_are_422_naming_the_row(api, value):
    response = api("central_it").post("/api/v1/imports/metrics/rows",
                                      data=metric_rows(value), headers=JSON)
    assert response.status_code in (400, 422), response.get_json()
    errors = response.get_json()["errors"]
    assert set(errors) <= {"rows.0.value.value", "line 2", "body"}, errors


def test_a_body_above_the_json_limit_is_413_before_it_is_parsed(api, app):
    """A 61.6 MB body of 800,000 rows was parsed before the 50,000-row limit applied."""
    app.config["CHARGEBACK_JSON_MAX_BYTES"] = 10_000
    rows = [{"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU",
             "quantity": "1"}] * 500
    response = api("central_it").post("/api/v1/imports/usage/rows", json={"rows": rows})
    assert response.status_code == 413, response.get_json()
    body = response.get_json()
    assert "10000 bytes" in body["message"] and "CHARGEBACK_JSON_MAX_BYTES" in body["message"]


def test_more_rows_than_the_limit_are_refused_while_parsing(api):
    body = b'{"rows": [' + b",".join([b'{"period": "2026-04"}'] * 50_001) + b"]}"
    started = time.monotonic()
    response = api("central_it").post("/api/v1/imports/usage/rows", data=body, headers=JSON)
    assert time.monotonic() - started < 10
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"rows": ["at most 50000 rows in one request: "
                                                      "upload a file for more"]}


@pytest.mark.parametrize("path", ["/api/v1/imports/usage/rows", "/api/v1/units/ALT/scorecards",
                                  "/api/v1/periods/2026-03/reopen"])
def test_json_nested_10000_deep_is_400_not_500(api, path):
    """``RecursionError`` on JSON nested 10,000 deep (API 500)."""
    body = b'{"rows": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = api("central_it").post(path, data=body, headers=JSON)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["errors"] == {
        "body": ["line 1 column 41: the JSON is nested deeper than 32 levels "
                 "(CHARGEBACK_JSON_MAX_DEPTH)."]}


def test_a_duplicate_key_is_400_naming_it(api):
    body = (b'{"effective_from": "2026-05", "criteria": [], "effective_from": "2026-06"}')
    response = api("unit_head").post("/api/v1/units/ALT/scorecards", data=body, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["errors"] == {
        "body": ["line 1 column 47: the key 'effective_from' appears twice in one object."]}


def test_a_utf8_byte_order_mark_is_accepted(api):
    body = b"\xef\xbb\xbf" + json.dumps(DRAFT_EXAMPLE).encode()
    response = api("unit_head").post("/api/v1/units/ALT/scorecards", data=body, headers=JSON)
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("number", ["1e999999999", '"1e999999999"', '"-1e999999999"',
                                    "9" * 5000])
def test_a_scorecard_number_beyond_the_decimal_range_is_422(api, number):
    """``decimal.Overflow`` on an exponent beyond the decimal range (API: 500)."""
    draft = copy.deepcopy(DRAFT_EXAMPLE)
    draft["criteria"][0]["target"] = "TARGET"
    body = json.dumps(draft).replace('"TARGET"', number).encode()
    head = api("unit_head")
    before = data_fingerprint()
    response = head.post("/api/v1/units/ALT/scorecards", data=body, headers=JSON)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert list(response.get_json()["errors"]) == ["criteria.0.target"]
    assert data_fingerprint() == before


@pytest.mark.parametrize("period", ["0000-01", "1899-12", "3000-01"])
def test_periods_outside_the_databases_range(api, period):
    """An IntegrityError traceback (API 500) instead of a row error."""
    cit = api("central_it")
    text = f"period,consumer_code,service_code,quantity\n{period},LAB1,CPU,1\n"
    response = cit.post("/api/v1/imports/usage", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(text.encode()), "usage.csv")})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["line 2"]
    draft = {**copy.deepcopy(DRAFT_EXAMPLE), "effective_from": period}
    response = api("unit_head").post("/api/v1/units/ALT/scorecards", json=draft)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert "effective_from" in response.get_json()["errors"]
    assert cit.get(f"/api/v1/periods/{period}").status_code == 404


def test_an_expression_of_990_unary_minuses_is_422(api):
    draft = copy.deepcopy(DRAFT_EXAMPLE)
    draft["criteria"][0]["expr"] = "-" * 980 + "researcher_csat"  # 995 characters
    response = api("unit_head").post("/api/v1/units/ALT/scorecards", json=draft)
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    assert "criteria.0.expr" in response.get_json()["errors"]


def test_ids_beyond_a_database_integer_are_404(api):
    finance = api("finance")
    for path in ("/api/v1/imports/2147483648", "/api/v1/packs/99999999999999999999/download",
                 "/api/v1/scorecards/2147483648", "/api/v1/job-runs/2147483648"):
        assert finance.get(path).status_code == 404, path


def test_an_upload_above_the_upload_limit_is_413(api, app):
    app.config["MAX_CONTENT_LENGTH"] = 2_000  # CHARGEBACK_UPLOAD_MAX_BYTES
    text = "period,consumer_code,service_code,quantity\n" + "2026-04,LAB1,CPU,1\n" * 200
    response = api("central_it").post("/api/v1/imports/usage", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(text.encode()), "usage.csv")})
    assert response.status_code == 413
    assert set(response.get_json()) == {"message", "errors"}
