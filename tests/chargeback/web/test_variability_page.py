"""The variability page: a unit head states the stances of the unit's services (CSRF, unit
scope), a refused form stores nothing and says why next to the field, a closed month shows
its frozen stances read-only
(the API's: ``tests/chargeback/api/test_variability.py``).

The company: the end-to-end one, 2026-03 closed. DC offers CPU (operational excellence:
its template proposes reducing every kind), LAB offers PROTO (product leadership:
accommodate request and subjective preference, reduce the rest).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from chargeback.models import ServiceVariability
from tests.chargeback.web.conftest import csrf_from


def stance_row(html: str, kind: str) -> str:
    found = re.search(rf'<tr data-kind="{kind}">(.*?)</tr>', html, re.S)
    assert found, kind
    return found.group(1)


def test_a_unit_head_sees_the_templates_proposals_and_states_a_stance(signed_in):
    client = signed_in("unit_head")  # GRP's head: LAB is below GRP
    html = client.get("/units/LAB/variability").get_data(as_text=True)
    assert 'id="variability-form"' in html
    assert "Not stated: the template proposes accommodate" in stance_row(html, "request")
    assert "Not stated: the template proposes reduce" in stance_row(html, "arrival")
    form = {"csrf_token": csrf_from(html), "s-0-code": "PROTO",
            "s-0-request-stance": "accommodate", "s-0-request-note": "any prototype asked for",
            "s-0-arrival-stance": "accommodate", "s-0-arrival-note": ""}
    response = client.post("/units/LAB/variability", data=form)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "are saved" in html
    assert '>any prototype asked for</textarea>' in stance_row(html, "request")
    assert '<option value="accommodate" selected>' in stance_row(html, "arrival")
    assert "Not stated: the template proposes reduce" in stance_row(html, "effort")


def test_a_refused_form_stores_nothing_and_says_why_by_the_field(signed_in, session):
    client = signed_in("unit_head")
    token = csrf_from(client.get("/units/LAB/variability").get_data(as_text=True))
    response = client.post("/units/LAB/variability", data={
        "csrf_token": token, "s-0-code": "PROTO", "s-0-request-stance": "reduce",
        "s-0-effort-stance": "tolerate", "s-0-arrival-stance": "reduce",
        "s-0-arrival-note": "n" * 201})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Nothing was saved: 2 problems below." in html
    assert "&#39;tolerate&#39; is not a stance: write reduce or accommodate" in stance_row(
        html, "effort")
    assert "at most 200 characters (this one has 201)" in stance_row(html, "arrival")
    assert '>' + "n" * 201 + '</textarea>' in stance_row(html, "arrival")  # kept as typed
    assert session.scalar(select(func.count()).select_from(ServiceVariability)) == 0


def test_scope_and_roles(signed_in):
    other = signed_in("other_head")  # WW's head
    assert other.get("/units/LAB/variability").status_code == 403
    token = csrf_from(other.get("/units/WW/variability").get_data(as_text=True))
    assert other.post("/units/LAB/variability", data={
        "csrf_token": token, "s-0-code": "PROTO",
        "s-0-request-stance": "reduce"}).status_code == 403
    finance = signed_in("finance")
    html = finance.get("/units/DC/variability").get_data(as_text=True)
    assert 'id="variability-form"' not in html  # finance reads, never states
    assert "proposed by the template" in stance_row(html, "request")
    assert finance.post("/units/DC/variability", data={
        "csrf_token": csrf_from(html), "s-0-code": "CPU",
        "s-0-request-stance": "accommodate"}).status_code == 403
    assert signed_in("unit_head").post("/units/LAB/variability", data={
        "s-0-code": "PROTO", "s-0-request-stance": "reduce"}).status_code == 400  # no CSRF


def test_a_closed_month_shows_its_frozen_stances_read_only(signed_in):
    client = signed_in("central_it")
    html = client.get("/units/DC/variability").get_data(as_text=True)
    client.post("/units/DC/variability", data={
        "csrf_token": csrf_from(html), "s-0-code": "CPU", "s-0-request-stance": "accommodate",
        "s-0-request-note": "any size"})
    closed = client.get("/units/DC/variability?period=2026-03").get_data(as_text=True)
    assert "As the close of 2026-03 froze it" in closed
    assert 'id="variability-form"' not in closed
    assert ">reduce</span>" in stance_row(closed, "request")
    assert "any size" not in closed
    today = client.get("/units/DC/variability").get_data(as_text=True)
    assert '>any size</textarea>' in today
    bad = client.get("/units/DC/variability?period=2031-01").get_data(as_text=True)
    assert "2031-01 is not a closed period: showing today&#39;s stances." in bad


def test_the_unit_page_links_to_it(signed_in):
    html = signed_in("unit_head").get("/units/ALT").get_data(as_text=True)
    assert 'id="unit-variability" href="/units/ALT/variability"' in html


def test_the_service_catalog_shows_each_services_stances_as_the_month_froze_them(signed_in):
    client = signed_in("central_it")
    url = "/units/DC/catalog?period=2026-03"
    before = client.get(url).get_data(as_text=True)
    section = before[before.index('id="variability-CPU"'):]
    assert "As the close of 2026-03 froze it." in section
    assert ">reduce</span>" in stance_row(section, "request")
    assert "proposed by the template" in stance_row(section, "request")
    assert "State the stances on variability" in before
    page = client.get("/units/DC/variability").get_data(as_text=True)
    assert client.post("/units/DC/variability", data={
        "csrf_token": csrf_from(page), "s-0-code": "CPU", "s-0-request-stance": "accommodate",
        "s-0-request-note": "any size"}).status_code == 302
    after = client.get(url).get_data(as_text=True)
    assert after[after.index('id="variability-CPU"'):] == section  # the closed month's
    head = signed_in("unit_head").get("/units/LAB/catalog?period=2026-03")
    lab = head.get_data(as_text=True)
    proto = lab[lab.index('id="variability-PROTO"'):]
    assert ">accommodate</span>" in stance_row(proto, "request")
    assert ">reduce</span>" in stance_row(proto, "effort")
    assert "State the stances on variability" in lab  # GRP's head states LAB's
    assert "Variability of its services" in signed_in("finance").get(url).get_data(
        as_text=True)


def test_hostile_form_values_are_reasons_by_their_fields_never_a_500(signed_in, session):
    """NUL and control characters, a service code of 10,000 characters, a stance that is
    no word: a 409 page with each reason, nothing stored."""
    client = signed_in("unit_head")
    token = csrf_from(client.get("/units/LAB/variability").get_data(as_text=True))
    response = client.post("/units/LAB/variability", data={
        "csrf_token": token, "s-0-code": "PROTO", "s-0-request-stance": "reduce\x00",
        "s-0-arrival-stance": "reduce", "s-0-arrival-note": "one\x00two\u202e",
        "s-1-code": "X" * 10_000, "s-1-effort-stance": "accommodate"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "is not a stance: write reduce or accommodate" in html
    assert "one line of text, without control characters" in html
    assert "LAB has no service &#39;" + "X" * 64 + "&#39;" in html
    assert session.scalar(select(func.count()).select_from(ServiceVariability)) == 0


def test_the_note_box_holds_a_whole_note_and_a_typed_line_break_is_a_space(signed_in,
                                                                          session):
    """The How box is a textarea (a 200-character note shows whole, wrapped); Enter typed
    in it makes a space, since a note is one line."""
    client = signed_in("unit_head")
    html = client.get("/units/LAB/variability").get_data(as_text=True)
    assert '<textarea class="form-control form-control-sm variability-note"' in stance_row(
        html, "request")
    response = client.post("/units/LAB/variability", data={
        "csrf_token": csrf_from(html), "s-0-code": "PROTO",
        "s-0-request-stance": "accommodate",
        "s-0-request-note": "any prototype\r\n asked for"})
    assert response.status_code == 302
    assert session.scalar(select(ServiceVariability.note)) == "any prototype asked for"


def test_a_groups_page_says_its_units_state_their_own_and_links_them(signed_in):
    """GRP offers no service: its page is no empty form but the units under it (ALT and
    LAB), each linked to its own stances; with a closed month, as that close froze them."""
    client = signed_in("unit_head")  # GRP's head
    html = client.get("/units/GRP/variability").get_data(as_text=True)
    assert 'id="variability-form"' not in html
    assert "GRP is a group: it offers no service of its own" in html
    assert 'href="/units/ALT/variability">ALT · Altoona R&amp;D Computing</a>' in html
    assert 'href="/units/LAB/variability">LAB' in html
    closed = client.get("/units/GRP/variability?period=2026-03").get_data(as_text=True)
    assert "GRP is a group: it offered no service of its own in 2026-03" in closed
    assert 'href="/units/LAB/variability?period=2026-03">LAB' in closed
    # a leaf unit with no service (WW offers none here) keeps the plain sentence
    leaf = signed_in("central_it").get("/units/WW/variability").get_data(as_text=True)
    assert "WW offers no service: there is nothing to state a stance on." in leaf
    assert "is a group" not in leaf
