"""The scorecard editor, driven like a browser without JavaScript: read the form back from the
page, change fields, press a button (``action``), CSRF token included.

The company (web conftest): HQ > {DC, GRP > {ALT, LAB}, WW}, 2026-03 closed, ALT rated 87.0
by its version 1; the unit head ``head@`` has GRP (so ALT and LAB), ``ww@`` has WW.
"""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from chargeback.extensions import db
from chargeback.models import (
    AuditEntry,
    Rating,
    ScorecardFormInput,
    ScorecardVersion,
    ServiceModel,
    Unit,
)
from chargeback.services import tokens
from tests.chargeback.test_close_end_to_end import DATA, run
from tests.chargeback.web.conftest import csrf_from

URL = "/units/ALT/scorecard"


class FormReader(HTMLParser):
    """The fields of ``#scorecard-form`` as a browser would post them (buttons left out)."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "scorecard-form"
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs["name"]
            self.fields.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        if tag == "select":
            self.select = None


def form_of(html: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    assert reader.fields, "no scorecard form in the page"
    return reader.fields


def press(client, action: str, fields: dict[str, str] | None = None, url: str = URL):
    """Post the form (as last shown) with one button pressed; a redirect to the kept form
    (post/redirect/get) is followed, as a browser would."""
    if fields is None:
        fields = form_of(client.get(url).get_data(as_text=True))
    return follow(client, client.post(url, data={**fields, "action": action}))


def follow(client, response):
    """The page a POST redirected to when it kept the form (``?form=<token>``)."""
    if response.status_code == 302 and "form=" in response.headers["Location"]:
        return client.get(response.headers["Location"])
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def versions(session, code: str = "ALT") -> list[ScorecardVersion]:
    unit_id = session.scalar(select(Unit.id).where(Unit.code == code))
    return list(session.scalars(select(ScorecardVersion).where(ScorecardVersion.unit_id == unit_id)
                                .order_by(ScorecardVersion.version)))


def audit(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def from_template(client) -> dict[str, str]:
    page = press(client, "template")
    assert page.status_code == 200 and "Started from the customer intimacy template" in text(page)
    return form_of(text(page))


# --- who may see and edit ---------------------------------------------------------------


def test_who_may_see_and_edit(company, signed_in, app):
    anonymous = app.test_client().get(URL)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    head = signed_in("unit_head").get(URL)  # GRP's head, ALT is below GRP
    html = text(head)
    assert head.status_code == 200
    assert 'id="scorecard-form"' in html and "Start from template" in html
    assert "Start from current version" in html and "Version 1, in force from 2026-01" in html
    assert 'id="version-1"' in html  # the history

    other = signed_in("other_head")  # WW's head
    token = csrf_from(text(other.get("/units/WW/scorecard")))
    assert other.get(URL).status_code == 403
    assert other.post(URL, data={"csrf_token": token, "action": "add"}).status_code == 403

    finance = signed_in("finance")
    html = text(finance.get(URL))
    assert 'id="scorecard-form"' not in html and "Version 1, in force from 2026-01" in html
    token = csrf_from(html)
    assert finance.post(URL, data={"csrf_token": token, "action": "save"}).status_code == 403

    central = signed_in("central_it")
    html = text(central.get("/units/DC/scorecard"))
    assert 'id="scorecard-form"' in html and "No approved scorecard yet" in html
    assert "Start from current version" not in html
    assert central.get("/units/NOPE/scorecard").status_code == 404
    assert central.post(URL, data={"action": "save"}).status_code == 400  # no CSRF token
    for page in ("abc", "-3", "0", "999"):
        assert central.get(f"{URL}?page={page}").status_code == 200


# --- building the draft ------------------------------------------------------------------


def test_template_with_an_error_next_to_the_field_stores_nothing(company, signed_in, session):
    client = signed_in("unit_head")
    fields = from_template(client)
    assert fields["criteria-0-key"] == "csat" and fields["criteria-0-floor"] == "3.5"
    assert fields["effective_from"] == "2026-04"
    fields["criteria-0-target"] = "3"  # higher, target below the floor 3.5
    refused = press(client, "save", fields)
    html = text(refused)
    assert refused.status_code == 200 and "Nothing was saved" in html
    assert ('id="criteria-0-target-error">must be above floor for a &#39;higher&#39; '
            "criterion</div>") in html
    assert 'id="criteria-0-target" name="criteria-0-target" value="3"' in html  # kept as typed
    assert 'id="criteria-1-target-error"' not in html
    assert [v.version for v in versions(session)] == [1]
    assert all(e.entity_key != "ALT v2" for e in audit(session, "scorecard.create"))
    fields["criteria-0-target"] = "4.5"
    saved = press(client, "save", fields)
    assert saved.status_code == 302
    page = text(client.get(URL))
    assert "Draft saved as version 2" in page
    assert "measure first_contact_resolution_pct has not been seen" in page  # a warning only
    assert 'id="criteria-3-expr-warning"' in page
    draft = versions(session)[-1]
    assert (draft.version, draft.status, draft.created_by) == (2, "draft", "head@example.com")
    assert [c.key for c in draft.criteria] == ["csat", "turnaround", "on_budget",
                                               "first_contact"]


def test_add_remove_move_and_bands_without_javascript(company, signed_in, session):
    client = signed_in("unit_head")
    fields = from_template(client)
    moved = form_of(text(press(client, "down-0", fields)))
    assert [moved[f"criteria-{i}-key"] for i in range(4)] == [
        "turnaround", "csat", "on_budget", "first_contact"]
    moved = form_of(text(press(client, "up-3", moved)))
    assert moved["criteria-2-key"] == "first_contact"
    removed = form_of(text(press(client, "remove-0", moved)))
    assert [removed[f"criteria-{i}-key"] for i in range(3)] == ["csat", "first_contact",
                                                                 "on_budget"]
    assert "criteria-3-key" not in removed
    added = form_of(text(press(client, "add", removed)))
    assert added["criteria-3-key"] == "" and added["criteria-3-weight"] == "1"
    band = form_of(text(press(client, "add-band-2", added)))
    assert band["criteria-2-bands-3-at"] == ""
    fewer = form_of(text(press(client, "remove-band-2-0", band)))
    assert fewer["criteria-2-bands-0-at"] == "1.05"
    for action in ("up-0", "down-3", "remove-9", "add-band-9", "remove-band-0-5", "refresh"):
        assert press(client, action, fewer).status_code == 200
    assert press(client, "explode", fewer).status_code == 400
    assert [v.version for v in versions(session)] == [1]  # none of this stored anything


def test_every_field_problem_lands_next_to_its_field(company, signed_in, session):
    client = signed_in("unit_head")
    fields = from_template(client)
    fields.update({"criteria-1-key": "csat", "criteria-2-bands-1-score": "120",
                   "criteria-3-expr": "first_contact_resolution_pct +", "effective_from": "2026-03"})
    html = text(press(client, "save", fields))
    assert 'id="criteria-1-key-error">appears twice' in html
    assert 'id="criteria-0-key-error"' not in html  # the first csat is fine
    assert 'id="criteria-2-bands-error">band 2: score must be between 0 and 100' in html
    assert 'id="criteria-3-expr-error">syntax error' in html
    assert 'id="effective_from-error">2026-03 is not after the last closed period' in html
    fields = from_template(client)
    fields["criteria-0-weight"] = "heavy"
    html = text(press(client, "save", fields))
    assert 'id="criteria-0-weight-error">must be a number' in html
    fields = from_template(client)
    fields["criteria-2-bands-0-at"] = "x"
    html = text(press(client, "save", fields))
    assert 'id="criteria-2-bands-0-at-error">must be a number' in html
    token = csrf_from(text(client.get(URL)))
    bare = follow(client, client.post(URL, data={"csrf_token": token, "action": "save"}))
    assert bare.status_code == 200 and "needs at least one criterion" in text(bare)
    odd = follow(client, client.post(URL, data={
        "csrf_token": token, "action": "save", "criteria-0-key": "x",
        "criteria-999-label": "y", "criteria-0-bands-0-score": "5"}))
    html = text(odd)  # every fault at once: the number that does not read hides nothing
    assert odd.status_code == 200 and 'id="criteria-0-bands-0-at-error">must be a number' in html
    assert 'id="criteria-0-label-error">is required' in html
    assert 'id="criteria-1-key-error">must be a slug' in html
    fields = form_of(html)
    assert fields["criteria-1-label"] == "y" and fields["criteria-0-bands-0-score"] == "5"
    assert client.post(URL, data={"csrf_token": token}).status_code == 400  # no action
    preview = follow(client, client.post(URL, data={"csrf_token": token, "action": "preview"}))
    assert preview.status_code == 200 and "The preview needs a valid scorecard" in text(preview)
    assert [v.version for v in versions(session)] == [1]


def test_starting_points_and_measures(company, signed_in, session):
    client = signed_in("central_it")
    page = text(press(client, "current"))
    fields = form_of(page)
    assert [fields[f"criteria-{i}-key"] for i in range(4)] == [
        "csat", "turnaround", "on_budget", "spend_per_seat"]
    assert fields["criteria-0-target"] == "4.5" and fields["criteria-3-floor"] == "200"
    assert fields["criteria-2-bands-2-at"] == "1.10"
    assert '<datalist id="measure-names">' in page and 'list="measure-names"' in page
    assert ('<option value="researcher_csat">Observed researcher csat (metrics import), score: '
            "latest 4.6 (2026-03)</option>") in page
    assert ('<option value="spend">Spend of the unit (internal charges received included), '
            "USD: latest 90600 (2026-03)</option>") in page

    session.add(ServiceModel(code="lean_ops", name="Lean", template={"criteria": [
        {"key": "uptime", "label": "Uptime", "expr": "availability", "direction": "higher",
         "method": "binary", "target": 99.9, "weight": 2}]}))
    session.scalar(select(Unit).where(Unit.code == "DC")).service_model_code = "lean_ops"
    session.commit()
    fields = form_of(text(press(client, "template", url="/units/DC/scorecard")))
    assert fields["criteria-0-key"] == "uptime" and fields["criteria-0-target"] == "99.9"
    assert "criteria-1-key" not in fields
    none = press(client, "current", url="/units/DC/scorecard")
    assert "There is no approved version yet" in text(none)


# --- preview, submit, approve, send back --------------------------------------------------


def test_preview_shows_the_stored_score_beside_the_draft(company, signed_in, session):
    client = signed_in("unit_head")
    fields = from_template(client)
    fields.update({"criteria-0-target": "5.0", "criteria-0-floor": "4.0"})  # csat 4.6 -> 60
    page = press(client, "preview", fields)
    html = text(page)
    assert page.status_code == 200
    assert 'id="preview-2026-03"' in html
    row = html[html.index('id="preview-2026-03"'):]
    row = row[:row.index("</tr>")]
    assert 'class="num approved-attainment">87.0<' in row
    assert 'class="num proposed-attainment">67.0<' in row  # (3*60 + 2*76 + 70) / 6
    assert ">-20.0<" in row and "watch" in row and "meets" in row
    csat = html[html.index('id="preview-2026-03-csat"'):]
    csat = csat[:csat.index("</tr>")]
    assert ">100.0<" in csat and ">60.0<" in csat
    assert "not rated: missing measure seats" in html  # the approved version's spend_per_seat
    assert ">1.0295<" in html  # spend / budget = 90600 / 88000, shown with four decimals
    assert form_of(html)["criteria-0-floor"] == "4.0"  # the form is kept
    assert [v.version for v in versions(session)] == [1]


def test_submit_approve_and_the_next_close_uses_it(company, signed_in, session, runner,
                                                  tmp_path):
    head = signed_in("unit_head")
    fields = from_template(head)
    fields.update({"criteria-0-target": "5.0", "criteria-0-floor": "4.0"})
    submitted = press(head, "submit", fields)
    assert submitted.status_code == 302
    page = text(head.get(URL))
    assert "Version 2 submitted" in page and 'id="waiting"' in page
    assert 'id="scorecard-form"' not in page
    token = csrf_from(page)
    blocked = head.post(URL, data={**fields, "csrf_token": token, "action": "save"})
    assert blocked.status_code == 302
    assert "waits for central IT" in text(head.get(URL))
    assert versions(session)[-1].status == "submitted"

    central = signed_in("central_it")
    listing = text(central.get("/approvals"))
    assert 'id="submitted-ALT-v2"' in listing
    version_id = versions(session)[-1].id
    review = central.get(f"/approvals/{version_id}")
    html = text(review)
    assert review.status_code == 200 and '<option selected value="2026-04">' in html
    assert 'class="num proposed-attainment">67.0<' in html
    approved = central.post(f"/approvals/{version_id}/approve",
                            data={"csrf_token": csrf_from(html), "effective_from": "2026-04"})
    assert approved.status_code == 302
    session.expire_all()
    version = versions(session)[-1]
    assert (version.status, version.effective_from, version.approved_by) == (
        "approved", "2026-04", "cit@example.com")
    assert versions(session)[0].status == "approved"  # v1 still rates up to 2026-03
    history = text(head.get(URL))
    assert "Version 2, in force from 2026-04" in history
    keys = [e.entity_key for e in audit(session, "scorecard.submit")]
    assert keys == ["ALT v2"] and len(audit(session, "scorecard.approve")) == 5  # 4 imports + 1

    _import_april(runner, tmp_path)
    run(runner, "close", "2026-04")
    rating = session.scalar(select(Rating).where(Rating.period == "2026-04",
                                                 Rating.unit_id == version.unit_id))
    assert rating.scorecard_version_id == version.id
    assert round(rating.attainment, 1) == 67 and rating.band == "watch"


def _import_april(runner, folder):
    """The March files again as April, so April can close."""
    for kind in ("spend", "budget", "metrics", "usage", "drivers"):
        path = folder / f"{kind}.csv"
        path.write_text((DATA / f"{kind}.csv").read_text().replace("2026-03", "2026-04"))
        run(runner, "import", kind, str(path))


def test_send_back_with_a_comment_then_resubmit(company, signed_in, session):
    head = signed_in("unit_head")
    press(head, "submit", from_template(head))
    version_id = versions(session)[-1].id
    central = signed_in("central_it")
    token = csrf_from(text(central.get(f"/approvals/{version_id}")))
    empty = central.post(f"/approvals/{version_id}/send-back",
                         data={"csrf_token": token, "comment": "  "})
    assert empty.status_code == 400 and 'id="comment-error">' in text(empty)
    back = central.post(f"/approvals/{version_id}/send-back",
                        data={"csrf_token": token, "comment": "Drop first_contact: no data."})
    assert back.status_code == 302
    page = text(head.get(URL))
    assert 'id="sent-back"' in page and "Drop first_contact: no data." in page
    fields = form_of(page)
    assert fields["criteria-3-key"] == "first_contact"
    resubmitted = press(head, "submit", form_of(text(press(head, "remove-3", fields))))
    assert resubmitted.status_code == 302
    session.expire_all()
    version = versions(session)[-1]
    assert version.id == version_id and version.status == "submitted"
    assert [c.key for c in version.criteria] == ["csat", "turnaround", "on_budget"]
    entry = audit(session, "scorecard.send_back")[0]
    assert entry.reason == "Drop first_contact: no data." and entry.actor == "cit@example.com"
    assert [e.entity_key for e in audit(session, "scorecard.update")] == ["ALT v2"]
    assert len(audit(session, "scorecard.submit")) == 2


def test_the_draft_is_continued_not_duplicated(company, signed_in, session):
    client = signed_in("unit_head")
    assert press(client, "save", from_template(client)).status_code == 302
    fields = form_of(text(client.get(URL)))
    fields["criteria-0-label"] = "Happy researchers"
    assert press(client, "save", fields).status_code == 302
    assert [(v.version, v.status) for v in versions(session)] == [(1, "approved"), (2, "draft")]
    assert versions(session)[-1].criteria[0].label == "Happy researchers"
    assert form_of(text(client.get(URL)))["criteria-0-label"] == "Happy researchers"
    keys = [(e.action, e.entity_key, e.actor) for e in
            audit(session, "scorecard.create") + audit(session, "scorecard.update")
            if e.entity_key == "ALT v2"]
    assert keys == [("scorecard.create", "ALT v2", "head@example.com"),
                    ("scorecard.update", "ALT v2", "head@example.com")]
    html = text(signed_in("finance").get(URL))
    assert 'id="scorecard-form"' not in html
    assert "Version 2 is a draft by head@example.com" in html


# --- finding the editor, every fault at once ------------------------------------------


def test_my_units_and_the_unit_page_lead_to_the_editor(company, signed_in):
    head = signed_in("unit_head")  # GRP's head: GRP, ALT, LAB
    units = text(head.get("/units"))
    assert 'href="/units/ALT/scorecard" id="scorecard-ALT"' in units
    assert "Edit scorecard<span" in units
    assert 'id="edit-scorecard" href="/units/ALT/scorecard"' in text(head.get("/units/ALT"))
    finance = signed_in("finance")  # sees every unit, edits none
    units = text(finance.get("/units"))
    assert 'id="scorecard-ALT"' in units and "Edit scorecard" not in units
    page = text(finance.get("/units/ALT"))
    assert 'id="view-scorecard"' in page and 'id="edit-scorecard"' not in page


def test_six_faults_come_back_at_once_with_the_api_words(company, signed_in, users, app):
    """A number that does not read no longer hides the rules' other errors: every fault of
    every row comes back in one answer, with the API's words for the same body."""
    client = signed_in("unit_head")
    fields = from_template(client)
    fields.update({"criteria-0-weight": "heavy", "criteria-0-label": "",
                   "criteria-1-key": "csat", "criteria-2-bands-1-score": "120",
                   "criteria-3-expr": "first_contact_resolution_pct +",
                   "effective_from": "2026-03"})
    html = text(press(client, "save", fields))
    marks = {
        "criteria-0-weight": "must be a number",
        "criteria-0-label": "is required",
        "criteria-1-key": "appears twice",
        "criteria-2-bands": "band 2: score must be between 0 and 100",
        "criteria-3-expr": "syntax error",
        "effective_from": "2026-03 is not after the last closed period",
    }
    for name, message in marks.items():
        assert f'id="{name}-error">{message}' in html, name
    assert 'id="criteria-0-key-error"' not in html  # the first csat is fine
    body = {"effective_from": "2026-03", "criteria": [
        {key: fields[f"criteria-{i}-{key}"] for key in
         ("key", "label", "expr", "direction", "method", "weight")
         if fields.get(f"criteria-{i}-{key}") is not None}
        | {name: fields[f"criteria-{i}-{name}"] for name in ("target", "floor")
           if fields.get(f"criteria-{i}-{name}")}
        | ({"bands": [{"at": fields[f"criteria-{i}-bands-{j}-at"],
                       "score": fields[f"criteria-{i}-bands-{j}-score"]}
                      for j in range(5) if f"criteria-{i}-bands-{j}-at" in fields]}
           if f"criteria-{i}-bands-0-at" in fields else {})
        for i in range(4)]}
    _, token = tokens.create(db.session, users["unit_head"], "test", "test")
    db.session.commit()
    answer = app.test_client().post("/api/v1/units/ALT/scorecards", json=body,
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]
    assert errors["criteria.0.weight"] == ["must be a number"]
    assert errors["criteria.0.label"] == ["is required"]
    assert errors["criteria.1.key"] == ["appears twice"]
    assert errors["criteria.2.bands.1"] == ["band 2: score must be between 0 and 100"]
    assert errors["criteria.3.expr"][0].startswith("syntax error")
    assert errors["effective_from"][0].startswith("2026-03 is not after the last closed")


def test_a_failed_form_redirects_and_a_reload_does_not_post_again(company, signed_in, session):
    """Post/redirect/get: the refused form is kept under a token, the GET shows it with its
    marks; reloading it repeats the GET; another user, or another unit, does not get it."""
    client = signed_in("unit_head")
    fields = from_template(client)
    fields["criteria-0-target"] = "3"  # below the floor
    posted = client.post(URL, data={**fields, "action": "save"})
    assert posted.status_code == 302
    location = posted.headers["Location"]
    assert location.startswith("/units/ALT/scorecard?form=") and location.endswith("#draft")
    token = location.split("form=")[1].split("#")[0]
    kept = session.scalar(select(ScorecardFormInput).where(ScorecardFormInput.token == token))
    assert (kept.mode, kept.form["criteria"][0]["target"]) == ("edit", "3")
    for _ in range(2):  # the first view, then a reload
        html = text(client.get(location))
        assert 'id="criteria-0-target-error">must be above floor' in html
        assert 'id="criteria-0-target" name="criteria-0-target" value="3"' in html
    assert [v.version for v in versions(session)] == [1]
    assert all(e.entity_key != "ALT v2" for e in audit(session, "scorecard.create"))
    other = signed_in("central_it")  # may edit ALT, but the form is not theirs
    html = text(other.get(location))
    assert "That form is no longer kept" in html and 'value="3"' not in html
    assert "That form is no longer kept" in text(client.get(
        location.replace("/units/ALT/", "/units/LAB/")))
    added = client.post(URL, data={**fields, "action": "add"})
    assert added.headers["Location"].endswith("#criterion-4")


def test_preview_redirects_to_its_result_at_the_top(company, signed_in):
    client = signed_in("unit_head")
    posted = client.post(URL, data={**from_template(client), "action": "preview"})
    location = posted.headers["Location"]
    assert posted.status_code == 302 and location.endswith("#preview")
    html = text(client.get(location))
    assert html.index('id="preview"') < html.index('id="in-force"') < html.index(
        'id="scorecard-form"')


# --- the measure builder and the expression checked as it is typed ---------------------


def test_the_builder_offers_the_measures_and_builds_without_javascript(company, signed_in):
    client = signed_in("unit_head")
    html = text(press(client, "template"))
    fields = form_of(html)
    assert 'id="criteria-0-measure"' in html and 'id="criteria-0-per"' in html
    assert ('data-description="Spend of the unit (internal charges received included)"'
            in html)
    assert '<tr id="measure-spend"><td><code>spend</code></td>' in html
    fields.update({"criteria-1-measure": "spend", "criteria-1-per": "budget"})
    built = press(client, "build-1", fields)
    assert form_of(text(built))["criteria-1-expr"] == "spend / budget"
    page = text(built)
    assert '<option value="spend" selected' in page.split('id="criteria-1-measure"')[1]
    fields.update({"criteria-1-measure": "nope", "criteria-1-per": ""})
    assert "Pick a measure of this unit first." in text(press(client, "build-1", fields))


def test_an_expression_is_checked_as_it_is_typed(company, signed_in):
    client = signed_in("unit_head")
    token = csrf_from(text(client.get(URL)))
    url = "/units/ALT/scorecard/check-expression"
    good = client.post(url, data={"csrf_token": token, "expr": "spend / budget"}).get_json()
    assert good == {"ok": True, "errors": [], "warnings": []}
    bad = client.post(url, data={"csrf_token": token, "expr": "spend +"}).get_json()
    assert bad["ok"] is False and bad["errors"][0].startswith("syntax error")
    unseen = client.post(url, data={"csrf_token": token, "expr": "spned"}).get_json()
    assert unseen["ok"] is True and "did you mean spend?" in unseen["warnings"][0]
    header = client.post(url, data={"expr": "spend"}, headers={"X-CSRFToken": token})
    assert header.status_code == 200
    assert client.post(url, data={"expr": "spend"}).status_code == 400  # no CSRF token
    long = client.post(url, data={"csrf_token": token, "expr": "a" * 1001}).get_json()
    assert "at most 1000 characters" in long["errors"]
    other = signed_in("other_head")
    other_token = csrf_from(text(other.get("/units/WW/scorecard")))
    assert other.post(url, data={"csrf_token": other_token, "expr": "x"}).status_code == 403
    finance = signed_in("finance")
    fin_token = csrf_from(text(finance.get(URL)))
    assert finance.post(url, data={"csrf_token": fin_token, "expr": "x"}).status_code == 403
