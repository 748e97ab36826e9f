"""Big uploads through the Imports page: stored and queued at once, imported by the job
runner as the uploader, followed on their page to their batch."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from chargeback import jobs
from chargeback.extensions import db
from chargeback.models import ImportBatch, JobRun, Unit, User
from chargeback.services import job_runs
from chargeback.services.queries import imports as batches_query
from tests.chargeback.upload_fixtures import (  # noqa: F401  (fixture)
    BAD_USAGE,
    THRESHOLD,
    USAGE,
    USAGE_ROWS,
    batch_count,
    big_uploads_fixture,
    data_fingerprint,
    fresh_run,
    stored_files,
    usage_lines,
)
from tests.chargeback.web.conftest import csrf_from
from tests.chargeback.web.test_data_pages import assert_csp_clean


def upload(client, kind: str, text: str, name: str = "file.csv", csrf: bool = True):
    data = {"kind": kind, "file": (io.BytesIO(text.encode()), name)}
    if csrf:
        data["csrf_token"] = csrf_from(client.get("/imports").get_data(as_text=True))
    return client.post("/imports", data=data, content_type="multipart/form-data")


def run_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    found = re.fullmatch(r".*/imports/jobs/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def page(client, run_id: int) -> str:
    response = client.get(f"/imports/jobs/{run_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_big_upload_is_queued_at_once_and_imported_by_the_runner(
        company, signed_in, session, big_uploads):
    client = signed_in("central_it")
    before = data_fingerprint()
    response = upload(client, "usage", USAGE, "../../etc/usage-april.csv")
    run_id = run_id_of(response)
    assert data_fingerprint() == before and usage_lines() == []  # nothing imported yet
    run = fresh_run(run_id)
    assert (run.job, run.status, run.requested_by, run.upload_kind, run.upload_filename,
            run.upload_bytes, run.upload_scope) == (
        "import", "queued", "cit@example.com", "usage", "usage-april.csv", len(USAGE),
        {"units": None})
    [stored] = stored_files(big_uploads)
    assert stored.name == run.upload_name and "usage" not in stored.name  # a generated name
    assert stored.read_text() == USAGE
    html = page(client, run_id)
    assert "usage-april.csv" in html and "queued" in html
    assert "Waiting for the job runner" in html and "chargeback jobs work" in html
    state = client.get(f"/imports/jobs/{run_id}.json").get_json()
    assert (state["status"], state["done"], state["batch_url"]) == ("queued", False, None)

    jobs.bind(company)
    [outcome] = jobs.process_requests()
    assert (outcome.job, outcome.status, outcome.run_id) == ("import", "succeeded", run_id)
    run = fresh_run(run_id)
    assert (run.status, run.progress) == ("succeeded", 100) and run.batch_id
    assert run.message == f"usage-april.csv: 2 usage rows imported (batch {run.batch_id})"
    assert usage_lines() == USAGE_ROWS
    batch = session.get(ImportBatch, run.batch_id)
    assert (batch.status, batch.actor, batch.rows, batch.filename) == (
        "stored", "cit@example.com", 2, "usage-april.csv")
    assert stored_files(big_uploads) == []  # the stored file is gone
    html = page(client, run_id)
    assert f'href="/imports/{batch.id}"' in html and "2 usage rows imported" in html
    state = client.get(f"/imports/jobs/{run_id}.json").get_json()
    assert state["done"] and state["batch_url"] == f"/imports/{batch.id}"
    listing = client.get("/imports").get_data(as_text=True)
    assert f'href="/imports/jobs/{run_id}"' in listing


def test_a_file_at_the_threshold_is_still_imported_directly(company, signed_in, big_uploads):
    finance = signed_in("finance")
    at_threshold = "period,unit_code,amount\n2026-04,WW,52000.00\n2026-04,ALT,1000.00\n"
    assert len(at_threshold.encode()) == THRESHOLD
    before = batch_count()
    direct = upload(finance, "budget", at_threshold, "budget.csv")
    assert direct.status_code == 302 and "/imports/jobs/" not in direct.headers["Location"]
    assert batch_count() == before + 1 and stored_files(big_uploads) == []
    one_more = at_threshold.replace("1000.00", "10000.00")
    run_id_of(upload(finance, "budget", one_more, "budget.csv"))  # a byte more: a job
    assert batch_count() == before + 1 and len(stored_files(big_uploads)) == 1


def test_a_bad_file_s_job_is_refused_with_the_direct_import_s_errors(
        company, signed_in, session, big_uploads, app):
    client = signed_in("central_it")
    before = data_fingerprint()
    app.config["CHARGEBACK_UPLOAD_JOB_BYTES"] = 10**9
    direct = upload(client, "usage", BAD_USAGE, "bad-direct.csv")
    assert "/imports/jobs/" not in direct.headers["Location"]
    app.config["CHARGEBACK_UPLOAD_JOB_BYTES"] = THRESHOLD
    run_id = run_id_of(upload(client, "usage", BAD_USAGE, "bad-job.csv"))
    jobs.bind(company)
    [outcome] = jobs.process_requests()
    assert outcome.status == "failed"
    run = fresh_run(run_id)
    assert run.status == "failed" and run.batch_id
    assert run.message == "bad-job.csv: refused, 2 error(s); nothing was stored"
    errors = {}
    for name in ("bad-direct.csv", "bad-job.csv"):
        batch = session.scalar(select(ImportBatch).where(ImportBatch.filename == name))
        assert batch.status == "refused"
        errors[name] = [(p.line, p.column, p.message) for p in batch.problems]
    assert errors["bad-job.csv"] == errors["bad-direct.csv"]
    assert errors["bad-job.csv"][0][:2] == (3, "period")
    assert data_fingerprint() == before
    assert stored_files(big_uploads) == []
    html = page(client, run_id)
    assert "refused, 2 error(s)" in html and f'href="/imports/{run.batch_id}"' in html
    assert "line 4: quantity: &#39;abc&#39; is not a number" in html
    batch_page = client.get(f"/imports/{run.batch_id}").get_data(as_text=True)
    assert "line 4: quantity: &#39;abc&#39; is not a number" in batch_page


def test_a_unit_head_s_job_keeps_the_scope_of_the_upload(company, signed_in, session,
                                                        big_uploads):
    head = signed_in("unit_head")  # GRP: ALT and LAB below it
    text = ("period,unit_code,measure,value\n2026-04,ALT,seats,120\n"
            "2026-04,WW,seats,900\n")
    run_id = run_id_of(upload(head, "metrics", text, "metrics-04.csv"))
    run = fresh_run(run_id)
    assert run.upload_scope == {"units": ["ALT", "GRP", "LAB"]}
    user = session.scalar(select(User).where(User.email == "head@example.com"))
    user.units.append(session.scalar(select(Unit).where(Unit.code == "WW")))
    session.commit()  # WW given to them after the upload: the job keeps the upload's scope
    before = data_fingerprint()
    jobs.bind(company)
    jobs.process_requests()
    run = fresh_run(run_id)
    assert run.status == "failed"
    batch = session.get(ImportBatch, run.batch_id)
    assert [str(p) for p in batches_query.problems(batch)] == [
        "line 3: unit_code: 'WW' is not one of your units (ALT, GRP, LAB); a unit head "
        "imports for their own units only"]
    assert batch.actor == "head@example.com"
    assert data_fingerprint() == before


def test_who_may_follow_an_upload(company, signed_in, app, big_uploads):
    head = signed_in("unit_head")
    run_id = run_id_of(upload(head, "metrics", "period,unit_code,measure,value\n"
                                               "2026-04,ALT,seats,120\n2026-04,LAB,seats,4\n",
                              "grp-seats.csv"))
    assert head.get(f"/imports/jobs/{run_id}").status_code == 200
    other = signed_in("other_head")
    assert other.get(f"/imports/jobs/{run_id}").status_code == 403
    assert other.get(f"/imports/jobs/{run_id}.json").status_code == 403
    assert "grp-seats.csv" not in other.get("/imports").get_data(as_text=True)
    assert signed_in("finance").get(f"/imports/jobs/{run_id}").status_code == 200
    assert head.get("/imports/jobs/999999").status_code == 404
    close = job_runs.start(db.engine, "close-month", "2026-04", "scheduler")
    assert signed_in("admin").get(f"/imports/jobs/{close.id}").status_code == 404
    for url in (f"/imports/jobs/{run_id}", f"/imports/jobs/{run_id}.json"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_big_upload_needs_its_csrf_token_and_a_kind_the_role_imports(
        company, signed_in, big_uploads):
    client = signed_in("central_it")
    assert upload(client, "usage", USAGE, csrf=False).status_code == 400
    finance = upload(signed_in("finance"), "usage", USAGE)
    assert finance.status_code == 400 and "Not a valid choice" in finance.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(JobRun)) is None and stored_files(big_uploads) == []


def test_the_pages_say_whether_a_runner_will_take_the_queued_upload(
        company, signed_in, big_uploads):
    client = signed_in("admin")
    run_id = run_id_of(upload(client, "usage", USAGE))
    for url in ("/imports", f"/imports/jobs/{run_id}", "/jobs"):
        html = client.get(url).get_data(as_text=True)
        assert "Waiting for the job runner" in html and "chargeback scheduler" in html, url
        assert_csp_clean(html)
    assert f'href="/imports/jobs/{run_id}"' in client.get("/jobs").get_data(as_text=True)
    job_runs.runner_beat(db.engine)  # a runner says it is alive
    for url in ("/imports", f"/imports/jobs/{run_id}", "/jobs"):
        assert "Waiting for the job runner" not in client.get(url).get_data(as_text=True), url
    assert "picks it up within a few seconds" in page(client, run_id)
    busy = job_runs.start(db.engine, "close-month", "2026-04", "scheduler")
    assert f"busy with run {busy.id}" in page(client, run_id)


def test_a_silent_runner_counts_as_gone(company, signed_in, big_uploads, session):
    client = signed_in("admin")
    run_id = run_id_of(upload(client, "usage", USAGE))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    job_runs.runner_beat(db.engine)
    from chargeback.models import Setting

    row = session.get(Setting, job_runs.HEARTBEAT_KEYS["scheduler"])
    row.value = f"{long_ago.isoformat()}|elsewhere|1"
    session.commit()
    html = page(client, run_id)
    assert "Waiting for the job runner" in html and "seen since" in html


@pytest.mark.parametrize("who", ["central_it", "unit_head"])
def test_the_upload_list_shows_the_user_s_own_or_everyone_s(company, signed_in, who,
                                                           big_uploads):
    mine = signed_in("unit_head")
    run_id = run_id_of(upload(mine, "metrics", "period,unit_code,measure,value\n"
                                               "2026-04,ALT,seats,120\n2026-04,LAB,seats,4\n",
                              "head-metrics.csv"))
    theirs = signed_in("other_head")
    upload(theirs, "metrics", "period,unit_code,measure,value\n2026-04,WW,seats,120\n"
                              "2026-04,WW,desks,44\n", "ww-metrics.csv")
    listing = signed_in(who).get("/imports").get_data(as_text=True)
    assert f"/imports/jobs/{run_id}" in listing and "head-metrics.csv" in listing
    assert ("ww-metrics.csv" in listing) == (who == "central_it")
