"""Issue 12's findings through the web app: ids beyond a database integer, numbers beyond
the decimal range in the scorecard form, deep JSON in the starter scorecard, periods the
database would refuse. A page with the reason, never a 500."""

from __future__ import annotations

import io
import json

import pytest

from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.web.conftest import csrf_from
from tests.chargeback.web.test_scorecard_editor import from_template, press, text

BEYOND = ("2147483648", "99999999999999999999")


@pytest.mark.parametrize("path", ["/packs/{}/download", "/imports/{}", "/imports/jobs/{}",
                                  "/imports/jobs/{}.json", "/approvals/{}",
                                  "/admin/users/{}"])
def test_ids_beyond_a_database_integer_are_404(company, signed_in, path):
    """500 on ``/packs/<id>/download``, ``/imports/<id>``, ``/approvals/<id>``,
    ``/admin/users/<id>``."""
    client = signed_in("admin")
    for value in BEYOND:
        assert client.get(path.format(value)).status_code == 404, path.format(value)
    assert client.get(path.format(0)).status_code == 404


def test_post_routes_with_ids_beyond_range_are_404(company, signed_in):
    client = signed_in("admin")
    token = csrf_from(text(client.get("/admin/users")))
    for path in ("/admin/users/2147483648/password", "/admin/users/2147483648/deactivate",
                 "/approvals/2147483648/approve"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path


@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "1e-999999999",
                                    "9" * 5000, "١٢"])
def test_the_scorecard_form_refuses_numbers_beyond_range_next_to_the_field(
        company, signed_in, number):
    """``decimal.Overflow`` tracebacks from the scorecard form."""
    client = signed_in("unit_head")
    fields = from_template(client)
    fields["criteria-0-target"] = number
    before = data_fingerprint()
    for action in ("save", "preview"):
        response = press(client, action, fields)  # redirected to the form kept, shown again
        assert response.status_code == 200, (action, text(response)[-500:])
        assert "Nothing was saved" in text(response) or "The preview needs" in text(response)
        assert 'id="criteria-0-target-error"' in text(response)
    assert data_fingerprint() == before


def test_the_scorecard_form_refuses_an_expression_of_990_unary_minuses(company, signed_in):
    client = signed_in("unit_head")
    fields = from_template(client)
    fields["criteria-0-expr"] = "-" * 990 + "researcher_csat"
    response = press(client, "save", fields)
    assert response.status_code == 200 and "Nothing was saved" in text(response)
    assert 'id="criteria-0-expr-error"' in text(response)


def test_a_starter_scorecard_nested_10000_deep_is_a_form_error(company, signed_in):
    client = signed_in("central_it")
    token = csrf_from(text(client.get("/admin/service-models/new")))
    for starter in ("[" * 10_000 + "]" * 10_000,
                    '{"criteria": [], "criteria": [{"key": "x"}]}'):
        response = client.post("/admin/service-models/new", data={
            "code": "deep_model", "name": "Deep", "starter": starter, "csrf_token": token})
        assert response.status_code == 409, text(response)[-500:]
        assert "starter: " in text(response).replace("&#39;", "'")


@pytest.mark.parametrize("period", ["0000-01", "3000-01"])
def test_an_upload_with_a_period_outside_the_range_is_refused_on_the_page(
        company, signed_in, period):
    client = signed_in("central_it")
    page = client.get("/imports")
    token = csrf_from(text(page))
    csv = f"period,consumer_code,service_code,quantity\n{period},LAB1,CPU,1\n"
    before = data_fingerprint()
    response = client.post("/imports", data={
        "kind": "usage", "file": (io.BytesIO(csv.encode()), "usage.csv"), "csrf_token": token},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code in (200, 400), text(response)[-500:]
    assert "line 2" in text(response)
    assert data_fingerprint() == before


def test_a_scorecard_effective_from_beyond_range_is_next_to_its_field(company, signed_in):
    client = signed_in("unit_head")
    fields = from_template(client)
    fields["effective_from"] = "3000-01"
    response = press(client, "save", fields)
    assert response.status_code == 200 and "Nothing was saved" in text(response), \
        text(response)[-500:]
    assert 'id="effective_from-error"' in text(response)


def test_service_model_starter_numbers_beyond_range(company, signed_in):
    client = signed_in("central_it")
    token = csrf_from(text(client.get("/admin/service-models/new")))
    starter = {"criteria": [{"key": "x", "label": "X", "expr": "uptime", "direction": "higher",
                             "method": "linear", "target": "1e999999999", "floor": 1,
                             "weight": 1}]}
    response = client.post("/admin/service-models/new", data={
        "code": "huge_model", "name": "Huge", "starter": json.dumps(starter),
        "csrf_token": token})
    assert response.status_code == 409, text(response)[-500:]


def test_an_upload_above_the_upload_limit_is_the_413_page(company, signed_in, app):
    client = signed_in("central_it")
    token = csrf_from(text(client.get("/imports")))
    app.config["MAX_CONTENT_LENGTH"] = 2_000  # CHARGEBACK_UPLOAD_MAX_BYTES
    csv = "period,consumer_code,service_code,quantity\n" + "2026-04,LAB1,CPU,1\n" * 200
    response = client.post("/imports", data={
        "kind": "usage", "file": (io.BytesIO(csv.encode()), "usage.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    assert response.status_code == 413
    assert "larger than the upload limit" in text(response)


def test_a_body_beyond_a_form_is_413_before_it_is_parsed(company, app):
    """Only the upload routes take up to CHARGEBACK_UPLOAD_MAX_BYTES; a form 1 MiB."""
    client = app.test_client()
    big = {"email": "x@example.com", "password": "x", "csrf_token": "x",
           "padding": "x" * (1024 * 1024)}
    response = client.post("/login", data=big)
    assert response.status_code == 413
    response = client.post("/login", data={**big, "file": (io.BytesIO(b"x" * 2_000_000),
                                                           "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
