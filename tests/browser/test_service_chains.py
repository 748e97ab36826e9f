"""The chain view in Chromium, as central IT and as a unit head.

The end-to-end company's 2026-03 is reopened and given a chain of three services across
three units: the data center's CPU (0.06 a core-hour in March) feeds Altoona's new HPC
service ALT-HPC (20.00 a node-hour), which feeds the lab's PROTO. Altoona (C-ALT) uses
10,000 core-hours of CPU: DC charges ALT 600.00; the lab (new consumer C-LAB) uses 40
node-hours of ALT-HPC: ALT charges LAB 800.00, and the chemistry lab LAB2 (a business cost
center) 60 node-hours, 1,200.00. PROTO's chain: ALT-HPC charged 800.00 along its link at
step 1, CPU 600.00 at step 2, 1,400.00 of internal charges in all. The lab paid ALT-HPC
800.00: the upstream cost behind PROTO. Where it started: ALT's spend in March is
90,600.00 (CPU's 600.00 included) and it charged 92,600.00 (its rule shares its whole
spend, plus ALT-HPC's 2,000.00), so ALT-HPC's cost is 90,600 x 2,000 / 92,600 =
1,956.80...; of the 800.00 ALT-HPC carried down, 800 x 600 / 1,956.80... = 245.298...
stands for CPU's charge: split exactly, weights 600 x 92,600 = 55,560,000 (CPU) and
90,600 x 2,000 - 55,560,000 = 125,640,000 (ALT-HPC's own): 245.29 and 554.70 floored, the
cent left to the larger remainder (0.80 against 0.198): CPU 245.30, ALT-HPC's own cost
554.70, 800.00 in all. PROTO missed its sprint target (70 % against 75 %);
ALT-HPC met its response time, and the data center's CPU missed its availability (99.7
against 99.9): the chain shows where the failure starts. The unit head of GRP (ALT and
LAB) sees every link but no link to DC's page; Walla Walla's head is refused.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_accessibility import PHONE, SETTLE_JS, overflow_problems
from tests.browser.test_journeys import sign_in
from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import run

pytestmark = pytest.mark.slow

FILES = (
    ("consumers", "code,name,gl_account,unit_code\nC-LAB,The lab as a consumer,6900-LAB,LAB\n"),
    ("services", "code,unit_code,name,uom\nALT-HPC,ALT,Research HPC,node-hour\n"),
    ("rates", "service_code,effective_from,price\nALT-HPC,2026-03,20.00\n"),
    ("usage", "period,consumer_code,service_code,quantity\n2026-03,C-LAB,ALT-HPC,40\n"
              "2026-03,LAB2,ALT-HPC,60\n"),
    ("dependencies", "service_code,depends_on\nALT-HPC,CPU\nPROTO,ALT-HPC\n"),
    ("offerings", "service_code,code,name\nCPU,standard,Virtual machine\n"
                  "ALT-HPC,standard,Batch queue\nPROTO,standard,Prototype sprint\n"),
    ("sla_targets", "service_code,offering,measure,target,direction\n"
                    "CPU,standard,availability,99.9,higher\n"
                    "ALT-HPC,standard,response_hours,8,lower\n"
                    "PROTO,standard,sprint_on_time_pct,75,higher\n"),
    ("sla_results", "period,service_code,offering,measure,value\n"
                    "2026-03,CPU,standard,availability,99.7\n"
                    "2026-03,ALT-HPC,standard,response_hours,6\n"
                    "2026-03,PROTO,,sprint_on_time_pct,70\n"),
)


@pytest.fixture
def chained(live_server, users, runner, tmp_path):
    run(runner, "reopen", "2026-03", "--reason", "a chain of services")
    for kind, text in FILES:
        run(runner, "import", kind, str(write_csv(tmp_path, f"{kind}.csv", text)))
    run(runner, "close", "2026-03")
    return live_server


def _rows(page) -> list[str]:
    return [" ".join(row.inner_text().split())
            for row in page.locator("#chain-table tbody tr").all()]


def _cells(page, selector: str) -> list[str]:
    return [" ".join(cell.inner_text().split())
            for cell in page.locator(f"#chain-table tbody {selector}").all()]


@pytest.mark.parametrize("who", ["central_it", "unit_head"])
def test_walking_the_chain_from_the_unit_page(chained, page, who):
    base = chained
    sign_in(page, base, who)
    page.goto(f"{base}/units/LAB?period=2026-03")
    page.locator("#services-table a", has_text="chain").first.click()
    page.wait_for_url("**/services/PROTO/chain**")
    dc = "DC" if who == "central_it" else "DC (not one of your units)"
    assert [r.split(" USD")[0] for r in _rows(page)] == [
        "1 ALT-HPC Research HPC ALT PROTO 800.00", f"2 CPU Compute {dc} ALT-HPC 600.00"]
    assert _cells(page, ".chain-reached") == ["800.00 USD", "245.30 USD"]
    sources = [" ".join(row.inner_text().split())
               for row in page.locator("#chain-sources tbody tr").all()]
    assert [s.split(" USD")[0] for s in sources] == [
        "ALT-HPC Research HPC ALT 554.70", "CPU Compute DC 245.30"]
    assert " ".join(page.locator("#chain-sources-total").inner_text().split()) == "800.00 USD"
    statuses = [li.get_attribute("data-status") for li in
                page.locator("#chain-table .chain-levels li").all()]
    assert statuses == ["met", "missed"]
    assert "missed" in page.locator("#chain-own-levels").inner_text()
    assert " ".join(page.locator("#chain-total").inner_text().split()) == "1,400.00 USD"
    assert " ".join(page.locator("#chain-reached-total").inner_text().split()) == "800.00 USD"
    dc_link = page.locator("#chain-table a", has_text="DC")
    assert dc_link.count() == (1 if who == "central_it" else 0)
    shot(page, f"chain-PROTO-{who}")
    page.locator("#chain-table a", has_text="ALT-HPC").click()  # one step up the chain
    page.wait_for_url("**/services/ALT-HPC/chain**")
    assert [r.split(" USD")[0] for r in _rows(page)] == [f"1 CPU Compute {dc} ALT-HPC 600.00"]
    assert _cells(page, ".chain-reached") == ["600.00 USD"]  # a link into ALT-HPC itself
    assert "PROTO" in page.locator("#chain-feeds").inner_text()
    shot(page, f"chain-ALT-HPC-{who}")
    assert page.console_errors == []


def test_another_units_head_is_refused(chained, page):
    sign_in(page, chained, "other_head")
    response = page.goto(f"{chained}/services/PROTO/chain?period=2026-03")
    assert response.status == 403


def test_the_chain_reads_on_a_phone(chained, page):
    """At 390 px the page does not scroll sideways, and each link stacks into labelled
    lines: the two figures and the service levels are on screen, not past a scroll."""
    sign_in(page, chained, "unit_head")
    page.set_viewport_size(PHONE)
    page.goto(f"{chained}/services/PROTO/chain?period=2026-03")
    page.evaluate(SETTLE_JS)
    assert overflow_problems(page, "/services/PROTO/chain") == []
    table = page.locator("#chain-table")
    assert page.evaluate("(t) => t.parentElement.scrollWidth <= t.parentElement.clientWidth",
                         table.element_handle())
    for selector in ("#chain-table tbody .chain-charged", "#chain-table tbody .chain-reached",
                     "#chain-table tbody .chain-link-levels", "#chain-sources tbody .chain-own"):
        cells = page.locator(selector).all()
        assert cells, selector
        for cell in cells:
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    labels = page.evaluate("""() => [...document.querySelectorAll(
        '#chain-table tbody tr:first-child td')].map(
        (td) => getComputedStyle(td, '::before').content)""")
    assert labels == ['"Step"', '"Upstream"', '"Unit"', '"Feeds"', '"Charged along link"',
                      '"Reached PROTO"', '"Service levels"']
    for total in ("#chain-total", "#chain-reached-total", "#chain-sources-total"):
        box = page.locator(total).bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], total
    shot(page, "chain-PROTO-390")
    assert page.console_errors == []
