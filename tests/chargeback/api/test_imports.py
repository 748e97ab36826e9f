"""Imports through the API: the import service's rules, the web page's scope, 422 refusals."""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import func, select

from chargeback.models import ImportBatch, MetricObservation, UsageLine

USAGE_APRIL = ("period,consumer_code,service_code,quantity\n"
               "2026-04,C-ALT,CPU,9000\n2026-04,LAB1,CPU,1250.5\n")


def upload(client, kind: str, text: str | bytes, name: str = "file.csv", **form):
    data = text.encode() if isinstance(text, str) else text
    return client.post(f"/api/v1/imports/{kind}", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def test_a_file_is_stored_as_one_batch_then_recognised(api, session):
    cit = api("central_it")
    response = upload(cit, "usage", USAGE_APRIL, "usage-april.csv")
    assert response.status_code == 201, response.get_json()
    batch = response.get_json()
    assert (batch["kind"], batch["status"], batch["rows"], batch["filename"]) == (
        "usage", "stored", 2, "usage-april.csv")
    assert batch["errors"] == [] and batch["actor"] == "cit@example.com"
    assert response.headers["Location"].endswith(f"/api/v1/imports/{batch['id']}")
    again = upload(cit, "usage", USAGE_APRIL, "same-again.csv")
    assert again.status_code == 200 and again.get_json()["id"] == batch["id"]
    assert again.get_json()["status"] == "stored"
    assert session.scalar(select(func.count()).select_from(UsageLine)
                          .where(UsageLine.period == "2026-04")) == 2


def test_a_row_in_a_closed_period_refuses_the_file_with_its_row_errors(api, session):
    text = ("period,consumer_code,service_code,quantity\n"
            "2026-04,LAB1,CPU,10\n2026-03,LAB1,CPU,5\n2026-04,NOPE,CPU,abc\n")
    response = upload(api("central_it"), "usage", text)
    assert response.status_code == 422
    body = response.get_json()
    assert "refused" in body["message"] and "nothing was stored" in body["message"]
    assert body["errors"]["line 3"] == [
        "period: period 2026-03 is closed; corrections go into an open period, or central IT "
        "reopens it"]
    assert body["errors"]["line 4"] == ["quantity: 'abc' is not a number"]
    batch = body["batch"]
    assert batch["status"] == "refused" and batch["error_count"] == len(batch["errors"]) == 2
    assert batch["errors"][0].startswith("line 3: period:")
    assert session.scalar(select(func.count()).select_from(UsageLine)
                          .where(UsageLine.period == "2026-04")) == 0
    stored = session.get(ImportBatch, batch["id"])
    assert stored.status == "refused"  # the refused batch is kept with its errors


def test_a_bad_file_is_422(api):
    cit = api("central_it")
    not_text = upload(cit, "usage", b"\xff\xfe\x00garbage", "usage.csv")
    assert not_text.status_code == 422
    assert not_text.get_json()["errors"] == {"line 1": [
        "the header is not UTF-8 text (byte 0xFF): save the file as UTF-8 (in Excel: CSV UTF-8)"]}
    wrong_columns = upload(cit, "usage", "when,what\n2026-04,x\n")
    assert wrong_columns.status_code == 422
    assert "line 1" in wrong_columns.get_json()["errors"]
    broken_xlsx = upload(cit, "usage", b"PK\x03\x04 not really a workbook", "usage.xlsx")
    assert broken_xlsx.status_code == 422
    missing = cit.post("/api/v1/imports/usage", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]


def test_json_rows_import_exactly_like_a_file(api, session):
    rows = [{"period": "2026-04", "consumer_code": "C-ALT", "service_code": "CPU",
             "quantity": 9000},
            {"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU",
             "quantity": 1250.5}]
    cit = api("central_it")
    response = cit.post("/api/v1/imports/usage/rows", json={"rows": rows,
                                                            "filename": "usage-april.json"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rows"] == 2
    quantities = sorted(session.scalars(select(UsageLine.quantity)
                                        .where(UsageLine.period == "2026-04")))
    assert quantities == [Decimal("1250.5"), Decimal("9000")]
    assert cit.post("/api/v1/imports/usage/rows", json={"rows": rows}).status_code == 200
    bad = cit.post("/api/v1/imports/usage/rows", json={"rows": [
        {"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU", "quantity": "x"}]})
    assert bad.status_code == 422 and list(bad.get_json()["errors"]) == ["line 2"]


def test_json_rows_are_validated_before_the_import(api):
    cit = api("central_it")
    for body, field in (({}, "rows"), ({"rows": []}, "rows"),
                        ({"rows": [{"period": ["2026-04"]}]}, "rows.0.period.value"),
                        ({"rows": [{"period": "2026-04"}], "replace": "maybe"}, "replace")):
        response = cit.post("/api/v1/imports/usage/rows", json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"], response.get_json()
    not_json = cit.post("/api/v1/imports/usage/rows", data="{rows:",
                        content_type="application/json")
    assert not_json.status_code == 400 and not_json.get_json()["errors"]


def test_roles_decide_the_kinds(api):
    refused = upload(api("finance"), "usage", USAGE_APRIL)
    assert refused.status_code == 403 and "spend, budget" in refused.get_json()["message"]
    replace = upload(api("central_it"), "budget", "period,unit_code,amount\n2026-04,ALT,1\n",
                     replace="true")
    assert replace.status_code == 422 and "replace" in replace.get_json()["errors"]
    assert upload(api("central_it"), "nonsense", USAGE_APRIL).status_code == 404


def test_a_unit_head_imports_metrics_for_their_own_units_only(api, session):
    head = api("unit_head")  # GRP: ALT and LAB too
    good = upload(head, "metrics", "period,unit_code,measure,value\n2026-04,ALT,seats,120\n")
    assert good.status_code == 201
    other = upload(head, "metrics", "period,unit_code,measure,value\n"
                                    "2026-04,LAB,seats,12\n2026-04,WW,seats,900\n")
    assert other.status_code == 422
    assert other.get_json()["errors"] == {"line 3": [
        "unit_code: 'WW' is not one of your units (ALT, GRP, LAB); a unit head imports for "
        "their own units only"]}
    assert session.scalar(select(func.count()).select_from(MetricObservation)
                          .where(MetricObservation.period == "2026-04")) == 1


def test_batches_are_listed_newest_first_and_scoped(api):
    head = api("unit_head")
    mine = upload(head, "metrics", "period,unit_code,measure,value\n2026-04,ALT,seats,1\n")
    listed = head.get("/api/v1/imports").get_json()
    assert [b["id"] for b in listed["items"]] == [mine.get_json()["id"]]
    finance = api("finance")
    first = finance.get("/api/v1/imports?limit=4").get_json()
    assert len(first["items"]) == 4 and first["next_cursor"]
    ids = [b["id"] for b in first["items"]]
    assert ids == sorted(ids, reverse=True)
    rest = finance.get(f"/api/v1/imports?limit=100&cursor={first['next_cursor']}").get_json()
    assert rest["next_cursor"] is None and len(ids) + len(rest["items"]) == 10
    assert max(b["id"] for b in rest["items"]) < min(ids)
    cli_batch = rest["items"][-1]["id"]
    assert head.get(f"/api/v1/imports/{cli_batch}").status_code == 403
    assert finance.get(f"/api/v1/imports/{cli_batch}").get_json()["kind"] == "units"
    assert finance.get("/api/v1/imports/99999").status_code == 404
    assert finance.get("/api/v1/imports?cursor=bogus").status_code == 422


def test_someone_elses_batch_with_the_same_rows_is_named_without_who_or_what(api):
    """A unit head uploading rows central IT already imported learns only that they are
    there (200, the batch's id and rows), not the other batch's file name or importer."""
    text = "period,unit_code,measure,value\n2026-04,ALT,seats,120\n"
    first = upload(api("central_it"), "metrics", text, "cit-metrics-secret.csv")
    assert first.status_code == 201
    again = upload(api("unit_head"), "metrics", text, "mine.csv")
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert body["id"] == first.get_json()["id"] and body["rows"] == 1
    assert "secret" not in body["filename"] and body["actor"] == "(another user)"
    assert "cit@example.com" not in again.get_data(as_text=True)
