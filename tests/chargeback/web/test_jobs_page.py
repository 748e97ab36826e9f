"""The /jobs page: runs listed, waiting shown in red, "run now" queues for the scheduler."""

from __future__ import annotations

from sqlalchemy import select

from chargeback import jobs
from chargeback.extensions import db
from chargeback.models import JobRun
from chargeback.services import job_runs
from tests.chargeback.web.conftest import csrf_from


def test_run_now_queues_a_request_the_scheduler_picks_up(company, signed_in, session):
    client = signed_in("central_it")
    page = client.get("/jobs")
    assert page.status_code == 200 and "No job has run yet" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/jobs/run", data={"job": "provisional", "period": "",
                                              "csrf_token": token})
    assert response.status_code == 302
    session.rollback()  # the request's reads kept a snapshot from before the queued run
    run = session.scalar(select(JobRun))
    assert (run.job, run.status, run.requested_by) == ("provisional", "queued", "cit@example.com")
    jobs.bind(company)
    outcomes = jobs.process_requests()
    assert [o.job for o in outcomes] == ["provisional"]
    session.rollback()
    states = client.get("/jobs/runs.json").get_json()
    assert states[0]["id"] == run.id and states[0]["status"] in ("succeeded", "failed")


def test_bad_period_is_refused_without_queueing(company, signed_in, session):
    client = signed_in("admin")
    token = csrf_from(client.get("/jobs").get_data(as_text=True))
    response = client.post("/jobs/run", data={"job": "close-month", "period": "2026-13",
                                              "csrf_token": token}, follow_redirects=True)
    assert "write YYYY-MM" in response.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(JobRun)) is None


def test_waiting_month_is_shown_in_red_and_finance_cannot_run(company, signed_in):
    run = job_runs.start(db.engine, "close-month", "2026-04", "scheduler")
    job_runs.finish(db.engine, run.id, "waiting", "waiting (0 day(s) so far) for: no spend for WW")
    client = signed_in("finance")
    html = client.get("/jobs").get_data(as_text=True)
    assert "A month is waiting to close" in html and "table-danger" in html
    assert "Run now" not in html
    token = csrf_from(html)
    assert client.post("/jobs/run", data={"job": "close-month", "csrf_token": token}
                       ).status_code == 403


def test_unit_heads_do_not_see_jobs(company, signed_in):
    client = signed_in("unit_head")
    assert client.get("/jobs").status_code == 403
    assert client.get("/jobs/runs.json").status_code == 403
