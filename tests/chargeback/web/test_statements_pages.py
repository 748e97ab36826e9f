"""Consumer statements in the web app: the list by cost center, the downloads, the links to
them, and who may see which (a unit head: the consumers that are their units).

The company is the end-to-end one with March and April closed (``statements_data``); the
unit head's scope is GRP (ALT and LAB below it), so C-ALT (ALT's own cost center) is theirs
and no business cost center is; WW's head has none.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal as D

import openpyxl
import pytest

from tests.chargeback.statements_data import APRIL, april_closed
from tests.chargeback.test_close_end_to_end import run, table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def months(users, runner):
    april_closed(runner, march=False)  # the users' company has March closed
    return users


def cells(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                  re.S)]


def test_finance_sees_every_consumers_statement(months, signed_in):
    page = signed_in("finance").get("/statements?period=2026-04")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = [cells(html, f"statement-{n}") for n in range(1, 7)]
    assert [r[0] for r in rows] == list(APRIL)
    lab1 = rows[1]
    assert lab1[1:] == ["Materials lab", "6100-001", "—", "23,260.00\u00a0USD", "500.00\u00a0USD", "23,760.00\u00a0USD",
                        "31,466.67\u00a0USD", "-7,706.67\u00a0USD", "Download"]
    assert rows[5][7:9] == ["—", "—"]  # LINE3 is new: no prior total, no change
    assert rows[0][3] == "ALT"  # C-ALT is ALT's own cost center
    assert "Prior total: 2026-03 as it closed." in html
    assert 'href="/statements/2026-04/LAB1"' in html


def test_the_latest_closed_month_by_default_and_a_warning_for_an_open_one(months, signed_in):
    html = signed_in("finance").get("/statements?period=2026-09").get_data(as_text=True)
    assert "2026-09 is not a closed period: showing 2026-04" in html
    assert "statement-6" in html


def test_a_download_is_the_consumers_workbook(months, signed_in):
    answer = signed_in("finance").get("/statements/2026-04/LAB1")
    assert answer.status_code == 200 and answer.mimetype == XLSX
    assert "attachment" in answer.headers["Content-Disposition"]
    assert "statement-2026-04-LAB1.xlsx" in answer.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.get_data()))
    facts = {r["Item"]: r["Value"] for r in table(book["Statement"])}
    assert facts["Consumer"] == "LAB1" and D(str(facts["Total"])) == D("23760.00")
    assert len(table(book["Charges"])) == 4


def test_a_unit_head_gets_their_units_statements_only(months, signed_in):
    head = signed_in("unit_head")  # GRP, ALT, LAB
    html = head.get("/statements?period=2026-04").get_data(as_text=True)
    assert [cells(html, "statement-1")[0]] == ["C-ALT"] and "statement-2" not in html
    assert "You see the consumers that are your units" in html
    assert head.get("/statements/2026-04/C-ALT").status_code == 200
    for code in ("LAB1", "LINE3"):  # business cost centers: finance's
        assert head.get(f"/statements/2026-04/{code}").status_code == 403
    other = signed_in("other_head")  # WW: no consumer is WW
    assert other.get("/statements/2026-04/C-ALT").status_code == 403
    assert 'id="no-statements"' in other.get("/statements").get_data(as_text=True)


def test_what_has_no_statement(months, signed_in, runner):
    finance = signed_in("finance")
    assert finance.get("/statements/2026-04/NOPE").status_code == 404
    assert finance.get("/statements/2026-07/LAB1").status_code == 404  # no such month
    assert finance.get("/statements/2026-4/LAB1").status_code == 404
    assert finance.get("/statements/2026-03/LINE3").status_code == 404  # new in April
    run(runner, "reopen", "2026-04", "--reason", "late usage")
    refused = finance.get("/statements/2026-04/LAB1")
    assert refused.status_code == 409
    assert "was reopened and is open" in refused.get_data(as_text=True)
    assert signed_in("unit_head").get("/statements/2026-04/LAB1").status_code == 409


def test_the_pages_link_to_the_statements(months, signed_in):
    finance = signed_in("finance")
    periods = finance.get("/periods").get_data(as_text=True)
    assert 'href="/statements?period=2026-04"' in periods
    packs = finance.get("/packs").get_data(as_text=True)
    assert 'href="/statements?period=2026-03"' in packs
    head = signed_in("unit_head")
    assert 'href="/statements"' in head.get("/portfolio").get_data(as_text=True)  # the menu
    alt = head.get("/units/ALT?period=2026-04").get_data(as_text=True)
    section = alt[alt.index('id="own-statements"'):]
    assert 'href="/statements/2026-04/C-ALT"' in section and "600.00" in section
    assert 'id="own-statements"' not in head.get("/units/LAB?period=2026-04").get_data(
        as_text=True)  # LAB is no consumer
