"""Central IT's approvals page: who may use it, approving from an open month, sending back.

The end-to-end company (web conftest) with 2026-03 closed; ALT's head submits a version 2
through the service, then central IT decides on ``/approvals``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chargeback.models import AuditEntry, Period, ScorecardVersion, Unit
from chargeback.services import scorecards
from tests.chargeback.web.conftest import csrf_from

PROPOSAL = {"unit": "ALT", "effective_from": "2026-04", "criteria": [
    {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
     "direction": "higher", "method": "linear", "target": "5.0", "floor": "4.0", "weight": "1"}]}


@pytest.fixture
def submitted(company, session) -> ScorecardVersion:
    version = scorecards.save_draft(session, PROPOSAL, "head@example.com").version
    scorecards.submit(session, version, "head@example.com")
    session.commit()
    return version


def text(response) -> str:
    return response.get_data(as_text=True)


def test_only_central_it_and_admin(company, submitted, signed_in, app):
    paths = ["/approvals", f"/approvals/{submitted.id}"]
    posts = [f"/approvals/{submitted.id}/approve", f"/approvals/{submitted.id}/send-back"]
    for path in paths:
        response = app.test_client().get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for who in ("unit_head", "finance"):
        client = signed_in(who)
        token = csrf_from(text(client.get("/units/ALT/scorecard")))
        for path in paths:
            assert client.get(path).status_code == 403, (who, path)
        for path in posts:
            data = {"csrf_token": token, "effective_from": "2026-04", "comment": "no"}
            assert client.post(path, data=data).status_code == 403, (who, path)
    for who in ("central_it", "admin"):
        client = signed_in(who)
        assert client.get("/approvals").status_code == 200
        assert client.post(posts[0], data={"effective_from": "2026-04"}).status_code == 400
    assert submitted.status == "submitted"


def test_the_list_and_the_review(submitted, signed_in):
    client = signed_in("central_it")
    for page in ("", "?page=abc", "?page=-1", "?page=50"):
        listing = text(client.get(f"/approvals{page}"))
        assert 'id="submitted-ALT-v2"' in listing and "Waiting for a decision (1)" in listing
    review = text(client.get(f"/approvals/{submitted.id}"))
    assert '<option selected value="2026-04">2026-04</option>' in review
    assert 'id="proposed-criteria"' in review and 'id="in-force-criteria"' in review
    row = review[review.index('id="preview-2026-03"'):]
    row = row[:row.index("</tr>")]
    assert ">87.0<" in row and ">60.0<" in row  # stored 87.0; csat alone at 4.6 scores 60
    assert client.get("/approvals/999999").status_code == 404


def test_nothing_waits(company, signed_in):
    html = text(signed_in("admin").get("/approvals"))
    assert "Nothing waits for approval" in html
    assert 'id="recent-table"' in html and "ALT v1" in html  # the imports approved v1


def test_approve_only_from_an_offered_open_month(submitted, signed_in, session):
    session.add(Period(period="2026-05", status="open"))
    session.commit()
    client = signed_in("central_it")
    url = f"/approvals/{submitted.id}"
    token = csrf_from(text(client.get(url)))
    for month in ("2026-03", "junk", ""):
        refused = client.post(f"{url}/approve", data={"csrf_token": token,
                                                      "effective_from": month})
        assert refused.status_code == 400 and 'id="effective_from-error"' in text(refused)
    missing = client.post(f"{url}/approve", data={"csrf_token": token})
    assert missing.status_code == 400
    session.expire_all()
    assert session.get(ScorecardVersion, submitted.id).status == "submitted"
    approved = client.post(f"{url}/approve", data={"csrf_token": token,
                                                   "effective_from": "2026-05"})
    assert approved.status_code == 302
    listing = text(client.get("/approvals"))
    assert "ALT version 2 approved: it rates ALT from 2026-05 on." in listing
    assert "Nothing waits for approval" in listing and "ALT v2" in listing
    session.expire_all()
    version = session.get(ScorecardVersion, submitted.id)
    assert (version.status, version.effective_from) == ("approved", "2026-05")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "scorecard.approve",
                                                    AuditEntry.entity_key == "ALT v2"))
    assert entry.actor == "cit@example.com" and entry.after["effective_from"] == "2026-05"
    again = client.post(f"{url}/approve", data={"csrf_token": token,
                                                "effective_from": "2026-05"})
    assert again.status_code == 302  # decided already: back to the list, nothing changes
    assert "is approved: there is nothing to decide" in text(client.get("/approvals"))


def test_send_back_with_a_comment(submitted, signed_in, session):
    client = signed_in("central_it")
    url = f"/approvals/{submitted.id}"
    token = csrf_from(text(client.get(url)))
    empty = client.post(f"{url}/send-back", data={"csrf_token": token, "comment": ""})
    assert empty.status_code == 400 and 'id="comment-error"' in text(empty)
    long = client.post(f"{url}/send-back", data={"csrf_token": token, "comment": "x" * 2001})
    assert long.status_code == 400
    back = client.post(f"{url}/send-back", data={"csrf_token": token,
                                                 "comment": "Floor 4.0 is too strict."})
    assert back.status_code == 302
    listing = text(client.get("/approvals"))
    assert "sent back to the unit as a draft" in listing
    assert "Floor 4.0 is too strict." in listing  # in the latest decisions
    session.expire_all()
    version = session.get(ScorecardVersion, submitted.id)
    assert (version.status, version.comment) == ("draft", "Floor 4.0 is too strict.")
    alt = session.scalar(select(Unit).where(Unit.code == "ALT"))
    assert scorecards.pending(session, alt.id).id == version.id
    head = signed_in("unit_head")
    page = text(head.get("/units/ALT/scorecard"))
    assert "Sent back by central IT:" in page and "Floor 4.0 is too strict." in page
    assert client.get(url).status_code == 302  # no longer waiting
