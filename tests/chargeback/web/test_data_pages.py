"""Imports, packs and periods through the pages: roles, CSRF, uploads, scope, downloads, close.

The company is the end-to-end one (2026-03 closed); the users are one per role, the unit
head scoped to GRP (so GRP, ALT and LAB), the other head to WW.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
from sqlalchemy import func, select

from chargeback.extensions import db
from chargeback.models import AuditEntry, Budget, ImportBatch, MetricObservation, PackFile, Period
from chargeback.services.closing import reopen_period
from chargeback.services.users import create_user
from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.web.conftest import PASSWORD, csrf_from, sign_in
from tests.conftest import FAST_HASH

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def token(client, url: str = "/imports") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def upload(client, kind: str, text: str | bytes, name: str = "file.csv",
           replace: bool = False, csrf: bool = True):
    content = text.encode() if isinstance(text, str) else text
    data = {"kind": kind, "file": (io.BytesIO(content), name)}
    if replace:
        data["replace"] = "y"
    if csrf:
        data["csrf_token"] = token(client)
    return client.post("/imports", data=data, content_type="multipart/form-data")


def assert_csp_clean(html: str) -> None:
    """What the CSP would block: style attributes, inline scripts, inline event handlers."""
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_pages_by_role(company, signed_in):
    expected = {  # who: /imports, /packs, /periods
        "admin": (200, 200, 200), "central_it": (200, 200, 200), "finance": (200, 200, 200),
        "unit_head": (200, 403, 403),
    }
    for who, statuses in expected.items():
        client = signed_in(who)
        pages = [client.get(url) for url in ("/imports", "/packs", "/periods")]
        assert tuple(p.status_code for p in pages) == statuses, who
        for page in pages:
            assert_csp_clean(page.get_data(as_text=True))


def test_signed_out_goes_to_login(company, app):
    for url in ("/imports", "/packs", "/periods", "/imports/1", "/packs/1/download"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def import_form_kinds(html: str) -> str:
    """The import form's kind list (the batch list's filter offers every kind)."""
    found = re.search(r'<select[^>]*id="kind"[^>]*>(.*?)</select>', html, re.S)
    assert found, "no kind list on the page"
    return found.group(1)


def test_kind_choices_follow_the_role(company, signed_in):
    finance = import_form_kinds(signed_in("finance").get("/imports").get_data(as_text=True))
    assert 'value="spend"' in finance and 'value="budget"' in finance
    assert 'value="metrics"' not in finance and 'value="units"' not in finance
    page = signed_in("unit_head").get("/imports").get_data(as_text=True)
    head = import_form_kinds(page)
    assert 'value="metrics"' in head and 'value="spend"' not in head
    assert 'name="replace"' not in page  # nothing a unit head imports can be replaced
    offered = re.findall(r'<option[^>]*value="([a-z_]+)"', head)
    assert offered == ["metrics", "sla_results", "dependencies"]
    assert ("You import metrics, sla_results and dependencies for your own units only"
            in " ".join(page.split()))  # the text says what the form offers
    assert "period, unit_code, measure, value" in page  # the columns of the kinds offered
    central = import_form_kinds(signed_in("central_it").get("/imports").get_data(as_text=True))
    assert 'value="units"' in central and 'value="drivers"' in central


def test_good_file_is_stored_then_recognised(company, signed_in, session):
    client = signed_in("finance")
    before = count(session, Budget)
    text = "period,unit_code,amount\n2026-04,WW,52000.00\n2026-04,ALT,88000.00\n"
    response = upload(client, "budget", text, "budget-04.csv")
    assert response.status_code == 302 and "/imports/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "budget-04.csv: 2 budget rows imported" in page and "All 2 rows" in page
    assert count(session, Budget) == before + 2
    again = upload(client, "budget", text, "budget-04.csv")
    assert "already imported" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(session, Budget) == before + 2
    listing = client.get("/imports").get_data(as_text=True)
    assert "budget-04.csv" in listing and "fin@example.com" in listing


def test_an_xlsx_file_with_a_path_in_its_name(company, signed_in, session):
    workbook = openpyxl.Workbook()
    for row in (("period", "unit_code", "amount"), ("2026-05", "WW", 51000.5)):
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)
    client = signed_in("finance")
    response = upload(client, "budget", content.getvalue(), "fakepath/budget-05.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "budget-05.xlsx: 1 budget row imported" in page and "fakepath" not in page
    stored = session.scalar(select(Budget).where(Budget.period == "2026-05"))
    assert stored.amount == Decimal("51000.50")


def test_bad_file_lists_its_errors_and_stores_nothing(company, signed_in, session):
    client = signed_in("central_it")
    before = data_fingerprint()
    text = ("period,unit_code,cost_pool,amount\n2026-04,WW,labor,10.00\n"
            "2026-04,NOPE,labor,1.00\n2026-04,WW,labor,1.001\n2026-03,WW,labor,5.00\n")
    response = upload(client, "spend", text, "spend-bad.csv")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "refused, 3 error(s); nothing was stored" in page
    assert "line 3: unit_code: unknown unit &#39;NOPE&#39;" in page
    assert "line 4: amount: &#39;1.001&#39; has more than 2 decimal places" in page
    assert "line 5: period: period 2026-03 is closed" in page
    assert data_fingerprint() == before
    batch = session.scalar(select(ImportBatch).where(ImportBatch.filename == "spend-bad.csv"))
    assert batch.status == "refused" and batch.error_count == 3


def test_a_broken_file_and_a_wrong_header_are_row_errors_not_500(company, signed_in):
    client = signed_in("central_it")
    junk = upload(client, "budget", "\x00\x01 not, a\ncsv", "junk.xlsx")
    assert junk.status_code == 302
    assert "not a readable XLSX" in client.get(junk.headers["Location"]).get_data(as_text=True)
    header = upload(client, "budget", "period,unit,amount\n2026-04,WW,1\n")
    page = client.get(header.headers["Location"]).get_data(as_text=True)
    assert "line 1: unit: unknown column for budget" in page


def test_form_refusals(company, signed_in, session):
    client = signed_in("finance")
    before = data_fingerprint()
    metrics = upload(client, "metrics", "period,unit_code,measure,value\n2026-04,WW,seats,1\n")
    assert metrics.status_code == 400 and "Not a valid choice" in metrics.get_data(as_text=True)
    replace = upload(signed_in("central_it"), "budget", "period,unit_code,amount\n", replace=True)
    assert replace.status_code == 400
    assert "Replace applies to spend and usage files" in replace.get_data(as_text=True)
    no_file = client.post("/imports", data={"kind": "budget", "csrf_token": token(client)})
    assert no_file.status_code == 400 and "Choose a CSV or XLSX file" in no_file.get_data(
        as_text=True)
    assert data_fingerprint() == before


def test_csrf_token_is_required(company, signed_in, session):
    client = signed_in("central_it")
    assert upload(client, "budget", "period,unit_code,amount\n", csrf=False).status_code == 400
    assert client.post("/periods/2026-03/reopen", data={"reason": "x"}).status_code == 400
    assert client.post("/periods/2026-03/close").status_code == 400
    assert session.get(Period, "2026-03").status == "closed"


def test_unit_head_imports_metrics_for_their_units_only(company, signed_in, session):
    head = signed_in("unit_head")
    before = data_fingerprint()
    text = ("period,unit_code,measure,value\n2026-04,ALT,researcher_csat,4.4\n"
            "2026-04,WW,seats,1000\n2026-04,LAB,prototypes_shipped,x\n")
    response = upload(head, "metrics", text, "metrics-04.csv")
    page = head.get(response.headers["Location"]).get_data(as_text=True)
    assert "refused, 2 error(s); nothing was stored" in page
    assert "line 3: unit_code: &#39;WW&#39; is not one of your units (ALT, GRP, LAB)" in page
    assert "line 4: value: &#39;x&#39; is not a number" in page  # the file's other errors too
    assert data_fingerprint() == before
    assert session.get(Period, "2026-04") is None  # not even the new month
    good = upload(head, "metrics", "period,unit_code,measure,value\n2026-04,ALT,seats,40\n")
    assert "1 metrics row imported" in head.get(good.headers["Location"]).get_data(as_text=True)
    assert count(session, MetricObservation) == before["metric_observations"][0] + 1


def test_unit_heads_see_their_own_batches_only(company, signed_in, session):
    head = signed_in("unit_head")
    upload(head, "metrics", "period,unit_code,measure,value\n2026-04,ALT,seats,40\n", "mine.csv")
    other = signed_in("other_head")
    upload(other, "metrics", "period,unit_code,measure,value\n2026-04,WW,seats,900\n", "ww.csv")
    listing = head.get("/imports").get_data(as_text=True)
    assert "mine.csv" in listing and "ww.csv" not in listing and "units.csv" not in listing
    theirs = session.scalar(select(ImportBatch).where(ImportBatch.filename == "ww.csv"))
    assert head.get(f"/imports/{theirs.id}").status_code == 403
    assert signed_in("finance").get(f"/imports/{theirs.id}").status_code == 200
    assert head.get("/imports/999999").status_code == 404


def test_batch_list_pages_and_error_cap(company, signed_in, session):
    for number in range(60):
        session.add(ImportBatch(kind="budget", filename=f"old-{number:02d}.csv", sha256="0" * 64,
                                status="stored", rows=1, actor="cit@example.com"))
    session.commit()
    client = signed_in("central_it")
    first = client.get("/imports").get_data(as_text=True)
    assert "old-59.csv" in first and "Page 1 of 2" in first
    for page in ("2", "0", "-4", "abc", "99999999999"):
        assert client.get(f"/imports?page={page}").status_code == 200
    assert "old-00.csv" in client.get("/imports?page=2").get_data(as_text=True)
    rows = "".join(f"2026-04,WW,{n}.001\n" for n in range(1200))
    response = upload(client, "budget", "period,unit_code,amount\n" + rows, "many.csv")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the first 1000 of 1200" in page
    assert "line 1001: amount" in page and "line 1002: amount" not in page


def test_packs_list_and_download(company, signed_in, session):
    client = signed_in("finance")
    listing = client.get("/packs").get_data(as_text=True)
    assert "2026-03" in listing and "chargeback-2026-03.xlsx" in listing and "cli:" in listing
    row = session.scalar(select(PackFile))
    response = client.get(f"/packs/{row.id}/download")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    assert "chargeback-2026-03.xlsx" in response.headers["Content-Disposition"]
    assert response.data == Path(row.path).read_bytes()
    response.close()
    assert signed_in("unit_head").get(f"/packs/{row.id}/download").status_code == 403
    assert client.get("/packs/999999/download").status_code == 404


def test_a_missing_pack_file_is_a_clear_404(company, signed_in, session):
    row = session.scalar(select(PackFile))
    Path(row.path).unlink()
    client = signed_in("central_it")
    response = client.get(f"/packs/{row.id}/download")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Pack file missing" in text and "chargeback pack 2026-03" in text
    assert "file missing on the server" in client.get("/packs").get_data(as_text=True)


def test_a_reopened_month_is_marked_on_the_packs_page(company, signed_in, session):
    """The last close's pack is no longer the month's final word: the month says it is
    reopened for corrections (from the period's status), and offers no statements (they
    are a closed month's)."""
    client = signed_in("finance")
    closed = client.get("/packs").get_data(as_text=True)
    assert 'final <span class="badge text-bg-success">latest</span>' in closed
    assert "/statements?period=2026-03" in closed and "reopened for corrections" not in closed
    reopen_period(session, "2026-03", "late usage", "test")
    session.commit()
    reopened = client.get("/packs").get_data(as_text=True)
    assert "chargeback-2026-03.xlsx" in reopened  # what the close published stays listed
    assert "reopened for corrections" in reopened
    assert "of the last close (reopened since)" in reopened
    assert 'badge text-bg-success">latest' not in reopened
    assert "/statements?period=2026-03" not in reopened


def test_empty_states(app):
    create_user(db.session, "admin@example.com", "admin", PASSWORD, "test", hash_method=FAST_HASH)
    db.session.commit()
    client = sign_in(app.test_client(), "admin")
    assert "No batch yet" in client.get("/imports").get_data(as_text=True)
    assert "No pack yet" in client.get("/packs").get_data(as_text=True)
    assert "No period yet" in client.get("/periods").get_data(as_text=True)


def test_reopen_needs_a_reason_then_close_again(company, signed_in, session, app):
    client = signed_in("central_it")
    page = client.get("/periods").get_data(as_text=True)
    assert "Reopen" in page and "cli:" in page
    blank = client.post("/periods/2026-03/reopen", data={"reason": "  ",
                                                        "csrf_token": csrf_from(page)})
    assert blank.status_code == 400 and "A reason is required" in blank.get_data(as_text=True)
    assert session.get(Period, "2026-03").status == "closed"
    reopened = client.post("/periods/2026-03/reopen", data={
        "reason": "late usage from DC", "csrf_token": csrf_from(page)})
    assert reopened.status_code == 302
    session.expire_all()
    assert session.get(Period, "2026-03").status == "open"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "period.reopen"))
    assert entry.reason == "late usage from DC" and entry.actor == "cit@example.com"
    closed = client.post("/periods/2026-03/close", data={"csrf_token": csrf_from(page)})
    assert closed.status_code == 302
    assert "chargeback-2026-03-r2.xlsx" in client.get("/periods").get_data(as_text=True)
    session.expire_all()
    period = session.get(Period, "2026-03")
    assert (period.status, period.close_count, period.closed_by) == ("closed", 2,
                                                                      "cit@example.com")
    packs = client.get("/packs").get_data(as_text=True)
    assert "chargeback-2026-03-r2.xlsx" in packs and "chargeback-2026-03.xlsx" in packs
    pack_dir = Path(app.config["CHARGEBACK_PACK_DIR"])
    assert (pack_dir / "chargeback-2026-03-r2.xlsx").exists()


def test_close_refusals_and_bad_periods(company, signed_in, session):
    client = signed_in("admin")
    csrf = token(client, "/periods")
    again = client.post("/periods/2026-03/close", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already closed" in again.get_data(as_text=True)
    not_closed = upload(client, "budget", "period,unit_code,amount\n2026-05,WW,1.00\n")
    assert not_closed.status_code == 302
    refused = client.post("/periods/2026-05/reopen", data={"reason": "x", "csrf_token": csrf})
    assert refused.status_code == 409 and "is not closed" in refused.get_data(as_text=True)
    for period in ("2026-13", "nope", "2031-01"):
        assert client.post(f"/periods/{period}/close", data={"csrf_token": csrf}).status_code \
            == 404
        assert client.post(f"/periods/{period}/reopen", data={
            "reason": "x", "csrf_token": csrf}).status_code == 404
    assert session.get(Period, "2026-03").close_count == 1


def test_only_central_it_and_admin_close_and_reopen(company, signed_in, session):
    for who in ("finance", "unit_head"):
        client = signed_in(who)
        csrf = token(client)
        reopen = client.post("/periods/2026-03/reopen", data={"reason": "x", "csrf_token": csrf})
        assert reopen.status_code == 403, who
        assert client.post("/periods/2026-03/close", data={"csrf_token": csrf}).status_code \
            == 403, who
    page = signed_in("finance").get("/periods").get_data(as_text=True)
    assert "read-only for you" in page and "Reopen" not in page and "Close 2026" not in page
    assert session.get(Period, "2026-03").status == "closed"
