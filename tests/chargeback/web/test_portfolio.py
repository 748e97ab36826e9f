"""The Portfolio page and the comparison of two units, on the end-to-end company
(HQ > {DC, GRP > {ALT, LAB}, WW}, 2026-03 closed; figures worked out by hand in
``test_close_end_to_end``). Also the page helpers the unit page tests share.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from html.parser import HTMLParser

import pytest
from flask import g

from chargeback.services.users import create_user
from tests.chargeback.test_read_model import close_april
from tests.chargeback.web.conftest import PASSWORD, csrf_from, sign_in
from tests.conftest import FAST_HASH

# --- reading pages ---------------------------------------------------------------------


class _Table(HTMLParser):
    """The text of each cell, row by row, of the table with the given id."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(page: str, table_id: str) -> list[list[str]]:
    """The rows of a table (header row first) as lists of cell texts."""
    parser = _Table(table_id)
    parser.feed(page)
    assert parser.rows, f"no table {table_id} in the page"
    return parser.rows


def rows_by_code(page: str, table_id: str) -> dict[str, list[str]]:
    return {row[0]: row for row in table(page, table_id)[1:]}


def json_block(page: str, block_id: str):
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>',
                      page, re.S)
    assert found, f"no JSON block {block_id}"
    return json.loads(found.group(1))


def text(page: str) -> str:
    """The page's words, tags removed, entities decoded, white space collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def assert_csp_clean(page: str) -> None:
    """No inline script code, no style attributes, no inline event handlers."""
    for attrs in re.findall(r"<script([^>]*)>", page):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


def forget_user() -> None:
    """The tests' app context outlives each request, so what a request leaves in ``g`` (the
    user Flask-Login caches, Flask-WTF's CSRF token) would follow one client into the next:
    every request here starts with an empty ``g``, as it does when the app is served."""
    for name in list(vars(g)):
        g.pop(name, None)


def client_factory(app):
    """``make("finance")``: a new test client signed in as that user."""

    def make(who: str):
        forget_user()
        return sign_in(app.test_client(), who)

    return make


@pytest.fixture
def client_as(app, users):
    return client_factory(app)


def get(client, url: str, status: int = 200) -> str:
    forget_user()
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# --- the portfolio ---------------------------------------------------------------------

COLUMNS = ["Unit", "Name", "Service model", "Spend", "Budget", "Variance", "Charged",
           "Recovery", "Attainment", "Band", "Units by band"]


def test_finance_sees_the_whole_tree_with_the_hand_computed_figures(company, client_as):
    page = get(client_as("finance"), "/portfolio")
    rows = table(page, "portfolio-table")
    assert rows[0] == COLUMNS
    assert [r[0] for r in rows[1:]] == ["HQ", "DC", "GRP", "ALT", "LAB", "WW"]  # tree order
    by = rows_by_code(page, "portfolio-table")
    assert by["ALT"][3:10] == ["90,600.00 USD", "88,000.00 USD", "2,600.00 USD", "90,600.00 USD", "100.0 %",
                               "87.0", "meets"]
    assert by["WW"][3:10] == ["50,000.00 USD", "52,000.00 USD", "-2,000.00 USD", "50,000.00 USD", "100.0 %",
                              "80.8", "meets"]
    assert by["LAB"][3:10] == ["1,500.00 USD", "—", "—", "1,000.00 USD", "66.7 %", "77.5", "meets"]
    assert by["DC"][8:10] == ["—", "unrated"]
    assert by["HQ"][3:6] == ["142,500.00 USD", "—", "—"]  # DC and LAB have no budget
    assert by["HQ"][8].startswith("84.7")
    assert by["GRP"][3] == "92,100.00 USD" and by["GRP"][8].startswith("86.8")
    assert by["GRP"][10] == "2 meets, 1 unrated"
    assert by["ALT"][2] == "Customer intimacy" and by["WW"][2] == "Operational excellence"
    assert 'title="Customer intimacy: tailored service"' in page
    assert "Portfolio · 2026-03" in text(page)
    assert "Internal charges between units: 600.00" in page
    assert re.search(r'<td class="num">90,600.00\u00a0USD</td>', page)  # right-aligned
    assert_csp_clean(page)
    assert 'src="/static/vendor/chart.umd.js"' in page and 'src="/static/charts.js"' in page


def test_the_chart_data_keeps_tree_order_and_each_units_own_band(company, client_as):
    page = get(client_as("central_it"), "/portfolio")
    chart = json_block(page, "attainment-data")
    assert [(u["code"], u["value"], u["band"]) for u in chart["units"]] == [
        ("ALT", "87.0", "meets"), ("LAB", "77.5", "meets"), ("WW", "80.8", "meets")]
    assert chart["thresholds"] == {"exceeds": "90", "meets": "70", "watch": "50"}
    assert chart["unrated"] == ["DC"]  # HQ and GRP have no own scorecard: rolled up
    assert chart["rolled_up"] == ["HQ", "GRP"]
    trend = json_block(page, "trend-data")
    assert trend["periods"] == ["2026-03"]
    assert {u["code"]: u["values"] for u in trend["units"]} == {
        "ALT": ["87.0"], "LAB": ["77.5"], "WW": ["80.8"]}
    assert page.count('data-chart="trend"') == 3


def test_band_thresholds_are_those_the_month_was_closed_with(company, client_as, session):
    """A later change of the limits leaves a closed month's chart (and bands) as it was."""
    from chargeback.models import Setting

    session.add(Setting(key="band_meets", value="85"))
    session.commit()
    chart = json_block(get(client_as("finance"), "/portfolio"), "attainment-data")
    assert chart["thresholds"]["meets"] == "70"
    assert chart["thresholds"]["exceeds"] == "90"


def test_trend_over_two_closed_periods(company, runner, client_as, tmp_path):
    close_april(runner, tmp_path)
    client = client_as("finance")
    page = get(client, "/portfolio")
    assert "Portfolio · 2026-04" in text(page)  # the latest closed period by default
    trend = json_block(page, "trend-data")
    assert trend["periods"] == ["2026-03", "2026-04"]
    values = {u["code"]: u["values"] for u in trend["units"]}
    assert values["ALT"][0] == "87.0" and values["ALT"][1] != "87.0"
    assert table(page, "trend-table")[0] == ["Unit", "2026-03", "2026-04"]
    march = get(client, "/portfolio?period=2026-03")
    assert json_block(march, "trend-data")["periods"] == ["2026-03"]
    assert rows_by_code(march, "portfolio-table")["ALT"][8] == "87.0"


def test_filter_by_group_keeps_the_subtree_and_its_roll_up(company, client_as):
    page = get(client_as("finance"), "/portfolio?period=2026-03&group=GRP")
    rows = rows_by_code(page, "portfolio-table")
    assert list(rows) == ["GRP", "ALT", "LAB"]
    assert rows["GRP"][3] == "92,100.00 USD"
    assert "Group rows keep their roll-up as computed at the close" in text(page)
    assert [u["code"] for u in json_block(page, "attainment-data")["units"]] == ["ALT", "LAB"]


def test_filter_by_service_model(company, client_as):
    client = client_as("finance")
    page = get(client, "/portfolio?model=operational_excellence")
    rows = rows_by_code(page, "portfolio-table")
    assert list(rows) == ["HQ", "DC", "WW"]
    assert rows["HQ"][3] == "142,500.00 USD"  # the roll-up over the whole tree, as computed
    assert "units the filter hides included" in text(page)
    both = get(client, "/portfolio?model=customer_intimacy&group=GRP")
    assert list(rows_by_code(both, "portfolio-table")) == ["GRP", "ALT"]
    none = get(client, "/portfolio?model=product_leadership&group=HQ")
    assert list(rows_by_code(none, "portfolio-table")) == ["LAB"]


def test_a_unit_head_sees_only_their_subtree(company, client_as):
    client = client_as("unit_head")  # GRP, so GRP, ALT and LAB
    page = get(client, "/portfolio")
    assert list(rows_by_code(page, "portfolio-table")) == ["GRP", "ALT", "LAB"]
    words = text(page)
    for hidden in ("Walla Walla", "Data Center", "Central IT", "142,500.00", "50,000.00"):
        assert hidden not in words
    assert "Internal charges between units" not in words  # holding-wide notes
    assert [u["code"] for u in json_block(page, "attainment-data")["units"]] == ["ALT", "LAB"]
    assert "WW" not in json.dumps(json_block(page, "trend-data"))
    assert 'value="HQ"' not in page  # not offered as a group
    get(client, "/portfolio?group=GRP")
    get(client, "/portfolio?group=WW", 403)
    get(client, "/portfolio?group=HQ", 403)
    other = client_as("other_head")
    assert list(rows_by_code(get(other, "/portfolio"), "portfolio-table")) == ["WW"]


def test_a_unit_head_without_units_sees_none(company, app, session):
    head = create_user(session, "new@example.com", "unit_head", PASSWORD, "test", ["WW"],
                       hash_method=FAST_HASH)
    head.units = []  # as if their last unit were taken out of their scope
    session.commit()
    forget_user()
    client = app.test_client()
    token = csrf_from(get(client, "/login"))
    client.post("/login", data={"email": "new@example.com", "password": PASSWORD,
                                "csrf_token": token})
    page = get(client, "/portfolio")
    assert "No unit is assigned to you yet" in page and "90,600.00" not in page
    assert "No unit is assigned to you yet" in get(client, "/units")
    get(client, "/portfolio?group=GRP", 403)


def test_every_role_may_open_the_portfolio(company, client_as):
    for role in ("admin", "central_it", "finance", "unit_head"):
        client = client_as(role)
        get(client, "/portfolio")
        get(client, "/portfolio/compare")


def test_signed_out_is_sent_to_sign_in(company, app):
    for url in ("/portfolio", "/portfolio/compare?a=ALT&b=WW"):
        forget_user()
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


BAD_QUERIES = [
    ("period=2099-01", "2099-01 is not a closed period: showing 2026-03"),
    ("period=2026-13", "2026-13 is not a closed period"),
    ("period=%3Cscript%3E", "&lt;script&gt; is not a closed period"),
    ("group=NOPE", "There is no unit NOPE"),
    ("model=cost_leadership", "There is no service model cost_leadership"),
    ("period=" + "9" * 500 + "&group=" + "x" * 500 + "&model=%00", "is not a closed period"),
    ("group=&model=&period=", ""),
]


def test_bad_query_values_are_warnings_not_errors(company, client_as):
    client = client_as("finance")
    for query, warning in BAD_QUERIES:
        page = get(client, "/portfolio?" + query)
        assert warning in page, query
        assert len(table(page, "portfolio-table")) == 7, query  # every unit still shown
        assert "<script>" not in page.replace('<script type="application/json"', "")


def test_empty_state_without_a_closed_period(app, session):
    create_user(session, "fin@example.com", "finance", PASSWORD, "test", [], hash_method=FAST_HASH)
    session.commit()
    client = sign_in(app.test_client(), "finance")
    for url in ("/portfolio", "/portfolio?period=2026-03&group=GRP", "/portfolio/compare"):
        page = get(client, url)
        assert "No closed period yet" in page
        assert 'href="/periods"' in page
        assert "chart.umd.js" not in page


# --- comparing two units ---------------------------------------------------------------


def test_compare_explains_spend_by_service_model_never_a_winner(company, client_as):
    page = get(client_as("finance"), "/portfolio/compare?period=2026-03&a=ALT&b=WW")
    words = text(page)
    assert ("Altoona R&D Computing (ALT) spends 40,600.00 more than Walla Walla Plant IT (WW) "
            "because it runs customer intimacy, and against its own scorecard it scores 87.0"
            ) in words
    assert ("Walla Walla Plant IT (WW) runs operational excellence, and against its own "
            "scorecard it scores 80.8 (meets)") in words
    assert "difference (ALT − WW) 40,600.00" in words
    alt = text(page.split('id="side-ALT"')[1].split('id="side-WW"')[0])
    assert "Customer intimacy: tailored service" in alt
    for figure in ("Researcher satisfaction", "researcher_csat", "4.5", "4.6", "100.0",
                   "Turnaround (days)", "76.0", "Spend within budget",
                   "1.00 -> 100; 1.05 -> 70; 1.10 -> 40", "not rated: missing measure seats",
                   "87.0", "meets", "90,600.00"):
        assert figure in alt, figure
    ww = text(page.split('id="side-WW"')[1])
    for figure in ("Desktop cost per seat", "desktop_spend / seats", "45", "75.0",
                   "Availability", "99.2", "80.0", "First-day fix", "80.8", "50,000.00"):
        assert figure in ww, figure
    assert "winner" not in words.replace("There is no winner", "").lower()
    assert_csp_clean(page)


def test_compare_a_group_and_units_of_the_same_model(company, client_as):
    client = client_as("central_it")
    group = text(get(client, "/portfolio/compare?a=GRP&b=WW"))
    assert "no scorecard of its own; its units, each against their own scorecards, roll up " \
           "to 86.8 (meets)" in group
    same = text(get(client, "/portfolio/compare?a=WW&b=DC"))
    assert "both run operational excellence, so the difference is not one of service model" \
        in same
    assert "No scorecard in force in 2026-03: not rated." in same


def test_compare_respects_the_unit_heads_scope(company, client_as):
    client = client_as("unit_head")
    page = get(client, "/portfolio/compare?a=ALT&b=LAB")
    assert "Altoona R&D Computing (ALT) spends 89,100.00 more than Innovation Lab (LAB)" \
        in text(page)
    assert 'value="WW"' not in page and 'value="HQ"' not in page
    get(client, "/portfolio/compare?a=ALT&b=WW", 403)
    get(client, "/portfolio/compare?a=DC&b=LAB", 403)


def test_compare_judges_each_by_the_other_yardstick(company, client_as):
    """ALT and WW in 2026-03 (figures of tests/chargeback/test_yardsticks.py): a what-if."""
    page = get(client_as("finance"), "/portfolio/compare?period=2026-03&a=ALT&b=WW")
    section = page.split('id="other-yardstick"')[1]
    alt = text(section.split('id="what-if-ALT-by-WW"')[1].split('id="what-if-WW-by-ALT"')[0])
    assert "By WW's scorecard (version 1, from 2026-01): not rated" in alt
    assert "against its own scorecard: 87.0 meets" in alt
    assert "3 of the 3 criteria cannot be measured at ALT" in alt
    assert "not rated missing measure desktop_spend" in alt
    ww = text(section.split('id="what-if-WW-by-ALT"')[1].split('id="template-form"')[0])
    # the 2 criteria WW can be rated on weigh 2 of ALT's 7: the 100.0 gets no band
    assert ("By ALT's scorecard (version 1, from 2026-01): 100.0 (too few criteria "
            "measurable to band) rated on 2 of 4 criteria · against its own scorecard: 80.8 "
            "meets") in ww
    assert "exceeds" not in ww
    assert "2 of the 4 criteria cannot be measured at WW" in ww
    assert "rated on 0 of 3 criteria" in alt
    assert 'id="by-template"' not in page
    judged = get(client_as("finance"), "/portfolio/compare?period=2026-03&a=ALT&b=WW"
                 "&template=operational_excellence")
    alt = text(judged.split('id="what-if-ALT-by-operational_excellence"')[1])
    # cost recovery and on budget weigh 2 of the template's 8
    assert ("By the operational excellence template: 85.0 (too few criteria measurable to "
            "band) rated on 2 of 5 criteria") in alt
    # judged by the customer intimacy template ALT is rated on 3 of 4 criteria, weight 6
    # of 7: (3 x 100 + 2 x 76 + 1 x 70) / 6 = 87.0, banded
    intimacy = get(client_as("finance"), "/portfolio/compare?period=2026-03&a=ALT&b=WW"
                   "&template=customer_intimacy")
    alt = text(intimacy.split('id="what-if-ALT-by-customer_intimacy"')[1])
    assert ("By the customer intimacy template: 87.0 meets rated on 3 of 4 criteria") in alt
    bad = get(client_as("finance"), "/portfolio/compare?a=ALT&b=WW&template=nope")
    assert "There is no service model nope to judge by." in bad



def test_compare_with_bad_values(company, client_as):
    client = client_as("finance")
    for query, warning in [("a=ALT&b=ALT", "Choose two different units"),
                           ("a=NOPE&b=WW", "There is no unit NOPE"),
                           ("a=ALT", "Choose two units and a period"),
                           ("a=%00&b=" + "x" * 300, "There is no unit"),
                           ("a=ALT&b=WW&period=1999-99", "1999-99 is not a closed period")]:
        page = get(client, "/portfolio/compare?" + query)
        assert warning in page, query
        assert ('id="explanation"' in page) == ("period" in query), query
