"""Consumer statements through the API: the list with its figures as decimal strings, the
XLSX download, and the scopes (a unit head's token reads the statements of the consumers
that are their units only). March and April closed (``statements_data``)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest

from tests.chargeback.statements_data import APRIL, CHANGE, april_closed
from tests.chargeback.test_close_end_to_end import run, table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def months(users, runner):
    april_closed(runner, march=False)
    return users


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def test_the_list_of_a_month(months, api):
    body = api("finance").get("/api/v1/periods/2026-04/statements").get_json()
    assert (body["period"], body["revision"], body["currency"], body["prior_period"]) == (
        "2026-04", 1, "USD", "2026-03")
    items = {i["consumer"]: i for i in body["items"]}
    assert list(items) == list(APRIL)
    for code, (billed, showback, prior) in APRIL.items():
        item = items[code]
        assert (item["billed"], item["showback"], item["total"], item["prior_total"],
                item["change"]) == (money(billed), money(showback), money(billed + showback),
                                    money(prior), money(CHANGE[code])), code
    assert items["LAB1"] | {"billed": None} == {
        "consumer": "LAB1", "name": "Materials lab", "gl_account": "6100-001", "unit": None,
        "billed": None, "showback": "500.00", "total": "23760.00", "prior_total": "31466.67",
        "change": "-7706.67", "download_url": "/api/v1/periods/2026-04/statements/LAB1"}
    assert items["C-ALT"]["unit"] == "ALT"
    march = api("finance").get("/api/v1/periods/2026-03/statements").get_json()
    assert march["prior_period"] is None
    assert {i["prior_total"] for i in march["items"]} == {None}


def test_the_download(months, api):
    answer = api("central_it").get("/api/v1/periods/2026-04/statements/LAB2")
    assert answer.status_code == 200 and answer.mimetype == XLSX
    assert "statement-2026-04-LAB2.xlsx" in answer.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.get_data()))
    facts = {r["Item"]: r["Value"] for r in table(book["Statement"])}
    assert Decimal(str(facts["Billed"])) == Decimal("68880.00")
    assert [r["Unit"] for r in table(book["By unit"])] == ["ALT", "DC"]


def test_a_unit_heads_token_reads_their_units_statements_only(months, api):
    head = api("unit_head")  # GRP, with ALT and LAB below it
    mine = head.get("/api/v1/periods/2026-04/statements").get_json()
    assert [i["consumer"] for i in mine["items"]] == ["C-ALT"]
    assert head.get("/api/v1/periods/2026-04/statements/C-ALT").status_code == 200
    refused = head.get("/api/v1/periods/2026-04/statements/LAB1")
    assert refused.status_code == 403
    assert "not one of your units'" in refused.get_json()["message"]
    other = api("other_head")  # WW
    assert other.get("/api/v1/periods/2026-04/statements").get_json()["items"] == []
    assert other.get("/api/v1/periods/2026-04/statements/C-ALT").status_code == 403


def test_what_has_no_statement(months, api, runner, app):
    finance = api("finance")
    for url, status in (("/2026-04/statements/NOPE", 404), ("/2026-07/statements", 404),
                        ("/2026-07/statements/LAB1", 404), ("/2026-13/statements", 404),
                        ("/2026-03/statements/LINE3", 404)):
        answer = finance.get(f"/api/v1/periods{url}")
        assert answer.status_code == status, url
        assert set(answer.get_json()) == {"message", "errors"}
    run(runner, "reopen", "2026-04", "--reason", "late usage")
    for url in ("/2026-04/statements", "/2026-04/statements/LAB1"):
        refused = finance.get(f"/api/v1/periods{url}")
        assert refused.status_code == 409
        assert "was reopened and is open" in refused.get_json()["message"]
    assert app.test_client().get("/api/v1/periods/2026-03/statements").status_code == 401
