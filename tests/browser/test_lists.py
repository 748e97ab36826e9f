"""Lists in a real browser: central IT searches, filters and sorts the units and the
import batches through the GET form, and the address bar holds the list as shown (a URL
to share); a unit head's Consumers and Services lists show their own units only."""

from __future__ import annotations

from tests.browser.conftest import shot
from tests.browser.test_journeys import sign_in


def codes(page, table: str) -> list[str]:
    return [row.get_attribute("id").split("-", 1)[1]
            for row in page.query_selector_all(f"#{table} tbody tr")]


def test_central_it_searches_filters_and_sorts(live_server, page, users):
    base = live_server
    sign_in(page, base, "central_it")
    page.goto(f"{base}/units")
    page.fill("#units-q", "lab")
    page.select_option("#units-billing", "showback")
    page.click("#units-controls button[type=submit]")
    page.wait_for_url("**/units?**")
    assert "q=lab" in page.url and "billing=showback" in page.url
    assert codes(page, "units-table") == ["LAB"]
    shot(page, "lists-units-filtered")

    page.goto(f"{base}/units")
    page.click("#units-table thead >> text=Name")
    page.wait_for_url("**sort=name**")
    names = [cell.inner_text() for cell in page.query_selector_all(
        "#units-table tbody tr td:nth-child(2)")]
    assert names == sorted(names, key=str.casefold)
    page.click("#units-table thead >> text=Name")  # again: the other way
    page.wait_for_url("**dir=desc**")
    shot(page, "lists-units-sorted")

    page.goto(f"{base}/imports")
    page.select_option("#batches-kind", "budget")
    page.click("#batches-controls button[type=submit]")
    page.wait_for_url("**kind=budget**")
    kinds = page.query_selector_all("main table:not(#upload-jobs) tbody tr td:nth-child(2)") \
        or page.query_selector_all("table tbody tr td:nth-child(2)")
    assert kinds and {k.inner_text().strip() for k in kinds} == {"budget"}
    shot(page, "lists-imports-filtered")
    shared = page.url
    page.goto(shared)  # the same URL opens the same list
    assert page.input_value("#batches-kind") == "budget"


def test_unit_head_lists_are_their_units(live_server, page, users):
    base = live_server
    sign_in(page, base, "unit_head")
    page.goto(f"{base}/consumers")
    assert codes(page, "consumers-table") == ["C-ALT"]
    shot(page, "lists-consumers-unit-head")
    page.click("text=Services")
    page.wait_for_url("**/services")
    assert codes(page, "services-table") == ["PROTO"]
    shot(page, "lists-services-unit-head")
