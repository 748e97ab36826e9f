"""Withdrawing a submitted version, comparing two versions, the mails of each step and the
Approvals badge (issue 13, point 1). The company: see test_scorecard_editor."""

from __future__ import annotations

from email import message_from_bytes
from email import policy as mail_policy

from sqlalchemy import select

from chargeback.models import ScorecardVersion
from tests.chargeback.web.conftest import csrf_from
from tests.chargeback.web.test_scorecard_editor import (
    URL,
    audit,
    from_template,
    press,
    text,
    versions,
)
from tests.chargeback.web.test_sign_in import outbox  # noqa: F401  (the SMTP fixture)


def _submitted(client) -> None:
    fields = from_template(client)
    assert press(client, "submit", fields).status_code == 302


def _mails(outbox):  # noqa: F811
    return [(sorted(m.rcpt_tos), message_from_bytes(m.content, policy=mail_policy.default))
            for m in outbox]


def test_a_unit_head_withdraws_a_submitted_version(company, signed_in, session):
    head = signed_in("unit_head")
    _submitted(head)
    page = text(head.get(URL))
    assert 'id="waiting"' in page and 'id="withdraw"' in page
    assert 'id="withdraw"' not in text(signed_in("finance").get(URL))  # reads, no button
    token = csrf_from(page)
    other = signed_in("other_head")  # WW's head
    other_token = csrf_from(text(other.get("/units/WW/scorecard")))
    assert other.post("/units/ALT/scorecard/withdraw",
                      data={"csrf_token": other_token}).status_code == 403
    answer = head.post("/units/ALT/scorecard/withdraw", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#draft")
    session.expire_all()
    draft = versions(session)[-1]
    assert (draft.version, draft.status, draft.submitted_at) == (2, "draft", None)
    [entry] = audit(session, "scorecard.withdraw")
    assert (entry.actor, entry.entity_key, entry.before, entry.after) == (
        "head@example.com", "ALT v2", {"status": "submitted"}, {"status": "draft"})
    page = text(head.get(URL))
    assert "Version 2 withdrawn" in page and 'id="scorecard-form"' in page
    again = head.post("/units/ALT/scorecard/withdraw", data={"csrf_token": token})
    assert "nothing to withdraw" in text(head.get(again.headers["Location"]))
    assert head.post("/units/ALT/scorecard/withdraw", data={}).status_code == 400  # no CSRF


def test_two_versions_side_by_side(company, signed_in, session):
    head = signed_in("unit_head")
    only_one = text(head.get("/units/ALT/scorecard/compare"))
    assert "ALT has 1 version(s): there is nothing to compare yet." in only_one
    fields = from_template(head)  # csat, turnaround, on_budget, first_contact
    fields["criteria-0-target"] = "4.8"
    fields["criteria-0-label"] = "Satisfaction"
    assert press(head, "save", fields).status_code == 302
    v1 = {c.key for c in versions(session)[0].criteria}
    v2 = {c.key for c in versions(session)[1].criteria}
    html = text(head.get(URL))
    assert 'id="compare-versions"' in html
    page = head.get("/units/ALT/scorecard/compare?a=1&b=2")
    html = text(page)
    assert page.status_code == 200 and 'id="compare-table"' in html
    for key in v2 - v1:
        assert f'id="compare-{key}-label" class="compare-added"' in html
    for key in v1 - v2:
        assert f'id="compare-{key}-label" class="compare-removed"' in html
    assert 'id="compare-csat-target" class="compare-changed"' in html
    assert 'id="compare-csat-label" class="compare-changed"' in html
    assert 'id="compare-csat-weight"' not in html  # unchanged fields of a changed row hidden
    target = html[html.index('id="compare-csat-target"'):]
    assert "<td class=\"compare-old\">4.5</td>" in target[:300]
    summary = html[html.index('id="compare-summary"'):]
    summary = summary[:summary.index("</p>")]
    assert f"{len(v2 - v1)} added, {len(v1 - v2)} removed" in summary
    same = text(head.get("/units/ALT/scorecard/compare?a=2&b=2"))
    assert "Choose two different versions." in same
    for odd in ("a=x&b=1", "a=1&b=99", "a=-1&b=2"):
        assert "Choose two versions" in text(head.get(f"/units/ALT/scorecard/compare?{odd}"))
    assert signed_in("other_head").get("/units/ALT/scorecard/compare").status_code == 403
    assert signed_in("finance").get("/units/ALT/scorecard/compare?a=1&b=2").status_code == 200


def test_mails_on_submit_approve_and_send_back_and_the_badge(company, signed_in, session,
                                                               users, outbox):  # noqa: F811
    central = signed_in("central_it")
    assert 'id="approvals-waiting"' not in text(central.get("/portfolio"))
    head = signed_in("unit_head")
    _submitted(head)
    [(to, mail)] = _mails(outbox)
    assert to == ["cit@example.com"] and mail["Subject"] == (
        "ALT scorecard version 2 waits for approval")
    version = versions(session)[-1]
    assert f"https://chargeback.example/approvals/{version.id}" in mail.get_content()
    page = text(central.get("/portfolio"))
    assert 'id="approvals-waiting">1<span class="visually-hidden"> waiting' in page
    assert 'id="approvals-waiting"' not in text(head.get("/portfolio"))  # heads do not approve
    assert 'id="approvals-waiting"' not in text(signed_in("finance").get("/portfolio"))
    review = text(central.get(f"/approvals/{version.id}"))
    back = central.post(f"/approvals/{version.id}/send-back",
                        data={"csrf_token": csrf_from(review), "comment": "Floor too strict."})
    assert back.status_code == 302
    to, mail = _mails(outbox)[-1]
    assert "head@example.com" in to and mail["Subject"] == "ALT scorecard version 2 was sent back"
    assert "Floor too strict." in mail.get_content()
    assert 'id="approvals-waiting"' not in text(central.get("/portfolio"))
    _submitted_again(head)
    review = text(central.get(f"/approvals/{version.id}"))
    approved = central.post(f"/approvals/{version.id}/approve",
                            data={"csrf_token": csrf_from(review), "effective_from": "2026-04"})
    assert approved.status_code == 302
    to, mail = _mails(outbox)[-1]
    assert "head@example.com" in to and mail["Subject"] == "ALT scorecard version 2 is approved"
    assert "from 2026-04 on" in mail.get_content()
    assert len(outbox) == 4  # submit, send back, submit again, approve
    status = session.scalar(select(ScorecardVersion.status)
                            .where(ScorecardVersion.id == version.id))
    assert status == "approved"


def _submitted_again(head) -> None:
    page = text(head.get(URL))
    assert "Sent back by central IT" in page
    assert press(head, "submit").status_code == 302
