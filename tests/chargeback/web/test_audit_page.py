"""The audit trail page: who did what, when and why, for central IT and admin only.

Reopen reasons, approvals, imports (stored and refused) and the rows an import replaced
with before and after are on it, filterable by action, unit and month, paginated.
"""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from chargeback.models import AuditEntry
from chargeback.services.queries import audit, listing
from tests.chargeback.web.conftest import csrf_from


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="((?:audit|batch)-\d+)"', html)


def actions(html: str) -> list[str]:
    return re.findall(r"<td><code>([^<]+)</code></td>", html)


def upload(client, kind: str, text: str, name: str):
    token = csrf_from(client.get("/imports").get_data(as_text=True))
    return client.post("/imports", data={"kind": kind, "csrf_token": token,
                                         "file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_reopen_reason_imports_and_replacements_are_on_the_trail(company, signed_in):
    client = signed_in("central_it")
    token = csrf_from(client.get("/periods").get_data(as_text=True))
    reason = "Spend of WW was booked twice; finance asked for a correction"
    assert client.post("/periods/2026-03/reopen", data={"csrf_token": token,
                                                        "reason": reason}).status_code == 302
    upload(client, "budget", "period,unit_code,amount\n2026-03,WW,51000.00\n", "fix.csv")
    upload(client, "budget", "period,unit_code,amount\n2026-03,XX,1.00\n", "bad.csv")
    html = client.get("/audit").get_data(as_text=True)
    assert reason in html
    assert "import.budget.replace" in html and "import.budget.refused" in html
    assert "fix.csv" in html and "bad.csv" in html
    # before and after of the replaced budget row
    replaced = client.get("/audit?action=import.budget.replace").get_data(as_text=True)
    assert set(actions(replaced)) == {"import.budget.replace"}
    assert re.search(r"amount:</span> <del>[\d.]+</del> → <ins>51000.00</ins>", replaced)
    # newest first by default
    assert actions(html)[0].startswith("import.budget")


def test_filters_by_action_unit_and_period(company, signed_in):
    client = signed_in("admin")
    approvals = client.get("/audit?action=scorecard.approve").get_data(as_text=True)
    assert set(actions(approvals)) == {"scorecard.approve"} and len(actions(approvals)) == 4
    alt = client.get("/audit?unit=ALT").get_data(as_text=True)
    assert "ALT v1" in alt and "ALT/2026-03" in alt and "WW v1" not in alt
    march = client.get("/audit?period=2026-03").get_data(as_text=True)
    assert "period.close" in actions(march) and "scorecard.approve" not in actions(march)
    both = client.get("/audit?unit=ALT&action=rules.save").get_data(as_text=True)
    assert actions(both) == ["rules.save"]
    nothing = client.get("/audit?q=no-such-person").get_data(as_text=True)
    assert "No entry matches" in nothing
    unknown = client.get("/audit?action=drop.table&unit=NOPE").get_data(as_text=True)
    assert "is not one of the action values" in unknown and rows(unknown)


def test_pages_are_stable_and_whole(company, signed_in, session):
    for number in range(70):
        session.add(AuditEntry(actor="cit@example.com", action="unit.update", entity="unit",
                               entity_key="ALT", before={"name": f"n{number}"},
                               after={"name": f"n{number + 1}"}))
    session.commit()
    client = signed_in("central_it")
    seen = []
    for page in (1, 2):
        seen += rows(client.get(f"/audit?sort=action&page={page}").get_data(as_text=True))
    spec = audit.spec(session)
    total = len(audit.every(session, spec, listing.parse(spec, {}), 10_000))
    assert 50 < total <= 100 and len(seen) == len(set(seen)) == total


def test_changes_read_before_and_after():
    assert audit.changes({"name": "A", "parent": "HQ"}, {"name": "B", "parent": "HQ"}) == [
        ("name", "A", "B")]
    assert audit.changes(None, {"role": "admin", "units": []}) == [
        ("role", "", "admin"), ("units", "", "[]")]


def test_only_central_it_and_admin(company, signed_in, session):
    for who in ("finance", "unit_head", "other_head"):
        assert signed_in(who).get("/audit").status_code == 403
    assert session.scalar(select(AuditEntry.id).limit(1)) is not None
