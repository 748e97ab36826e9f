"""The drill-down from a usage charge line to the usage lines it adds up (closed 2026-03,
the company's usage split into many lines, same sums): linked from the unit's charge
lines, paged 50 at a time, the lines' sum shown and equal to the charge's quantity, and
guarded like the unit page (403 outside a unit head's units, 404 for what does not exist).
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from tests.chargeback.test_close_end_to_end import run
from tests.chargeback.usage_split import SPLIT, split_march_usage, total
from tests.chargeback.web.test_portfolio import assert_csp_clean, client_factory, get, table, text

CPU_OF_C_ALT = "/units/DC/charges/usage?period=2026-03&consumer=C-ALT&service=CPU"


@pytest.fixture
def client_as(app, users):
    return client_factory(app)


@pytest.fixture
def split(company, users, runner, tmp_path):
    split_march_usage(runner, tmp_path)


def cell(page: str, cell_id: str) -> str:
    found = re.search(rf'id="{cell_id}">([^<]*)<', page)
    assert found, f"no {cell_id} in the page"
    return found.group(1).strip()


def usage_links(page: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'href="(/units/[^"]+/charges/usage\?[^"]+)"',
                                                 page)]


def test_a_usage_charge_links_to_its_usage_lines(split, client_as):
    client = client_as("finance")
    charges = get(client, "/units/DC/charges?period=2026-03")
    links = usage_links(charges)
    assert sorted(links) == sorted([  # the two usage charges; the driver splits link nowhere
        "/units/DC/charges/usage?period=2026-03&consumer=C-ALT&service=CPU",
        "/units/DC/charges/usage?period=2026-03&consumer=LAB1&service=CPU"])
    lab = usage_links(get(client, "/units/LAB/charges?period=2026-03"))
    assert lab == ["/units/LAB/charges/usage?period=2026-03&consumer=LAB1&service=PROTO"]
    for link in links + lab:
        page = get(client, link)
        consumer, service = re.search(r"consumer=([^&]+)&service=(.+)$", link).groups()
        quantity = cell(page, "charge-quantity").split()[0]
        assert Decimal(quantity) == total(consumer, service)
        assert cell(page, "usage-sum").split()[0] == quantity  # shown exactly, both
        assert int(cell(page, "usage-count")) == len(SPLIT[(consumer, service)])


def test_the_lines_are_paged_and_add_up_to_the_charge(split, client_as):
    client = client_as("central_it")
    first = get(client, CPU_OF_C_ALT)
    assert "Page 1 of 3" in text(first)
    assert cell(first, "charge-quantity") == "10000 core-hour"
    assert cell(first, "usage-sum") == "10000 core-hour"
    assert cell(first, "usage-count") == "125"
    assert "service CPU at 0.060000 per core-hour" in text(first)
    assert "Altoona computing" in text(first) and "600.00" in text(first)
    seen, quantities = [], Decimal(0)
    for number in (1, 2, 3):
        rows = table(get(client, f"{CPU_OF_C_ALT}&page={number}"), "usage-lines")
        assert rows[0] == ["Line", "Quantity", "Import batch"]
        seen += [int(r[0]) for r in rows[1:]]
        quantities += sum(Decimal(r[1]) for r in rows[1:])
    assert len(seen) == 125 and seen == sorted(set(seen))
    assert quantities == Decimal(10000)
    last = get(client, f"{CPU_OF_C_ALT}&page=999")  # the nearest page
    assert len(table(last, "usage-lines")) == 26 and "Page 3 of 3" in text(last)
    assert ('href="/units/DC/charges/usage?page=2&amp;period=2026-03&amp;consumer=C-ALT'
            '&amp;service=CPU"') in last
    assert_csp_clean(first)


def test_scope_of_a_unit_head(split, client_as):
    head = client_as("unit_head")  # GRP, ALT and LAB
    page = get(head, "/units/LAB/charges/usage?period=2026-03&consumer=LAB1&service=PROTO")
    assert cell(page, "usage-sum") == "10 project-hour"
    get(head, CPU_OF_C_ALT, 403)  # DC is not theirs, though C-ALT is ALT's consumer
    get(client_as("other_head"), CPU_OF_C_ALT, 403)
    get(client_as("other_head"),
        "/units/LAB/charges/usage?period=2026-03&consumer=LAB1&service=PROTO", 403)


def test_what_is_not_a_usage_charge_is_not_found(split, client_as):
    client = client_as("finance")
    get(client, "/units/NOPE/charges/usage?period=2026-03&consumer=LAB1&service=CPU", 404)
    get(client, "/units/DC/charges/usage?period=2026-03", 404)
    which = get(client, "/units/DC/charges/usage?period=2026-03&consumer=LAB1", 404)
    assert "Name its consumer and service" in text(which)
    gone = get(client, "/units/LAB/charges/usage?period=2026-03&consumer=LAB1&service=CPU",
               404)  # CPU is DC's service, not LAB's
    assert "LAB made no usage charge to LAB1 for CPU in 2026-03" in text(gone)
    get(client, "/units/DC/charges/usage?period=2026-03&consumer=LINE1&service=CPU", 404)
    for bad in ("consumer=%00&service=CPU", "consumer=C-ALT&service=%00",  # PostgreSQL
                "consumer=C-ALT&service=" + "x" * 300, "consumer=%00&service=" + "x" * 300):
        get(client, f"/units/DC/charges/usage?period=2026-03&{bad}", 404)
    other = get(client, "/units/DC/charges/usage?period=2099-01&consumer=C-ALT&service=CPU")
    assert "2099-01 is not a closed period: showing 2026-03" in text(other)


def test_an_open_month_has_no_usage_drill_down(company, client_as, runner):
    client = client_as("finance")
    get(client, CPU_OF_C_ALT)
    run(runner, "reopen", "2026-03", "--reason", "late usage")
    refused = get(client, CPU_OF_C_ALT, 404)
    assert "No period is closed yet" in text(refused)
    assert "No closed period yet" in get(client, "/units/DC/charges")
