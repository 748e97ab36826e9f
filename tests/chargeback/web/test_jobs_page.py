"""The /jobs page: runs listed, waiting shown in red, "run now" queues for the scheduler."""

from __future__ import annotations

import datetime as dt

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
    far = client.post("/jobs/run", data={"job": "close-month", "period": "1800-01",
                                         "csrf_token": token}, follow_redirects=True)
    text = far.get_data(as_text=True)  # in the form already: the range is what is wrong
    assert "&#39;1800-01&#39; is outside the periods kept (1900-01 to 2999-12)" in text
    assert "write YYYY-MM" not in text
    session.rollback()
    assert session.scalar(select(JobRun)) is None


def test_closing_a_closed_month_is_refused_without_queueing(company, signed_in, session):
    """As the API (409) and the command line (exit 1): no run that can only say "already
    closed", but an error naming the month."""
    client = signed_in("admin")
    token = csrf_from(client.get("/jobs").get_data(as_text=True))
    response = client.post("/jobs/run", data={"job": "close-month", "period": "2026-03",
                                              "csrf_token": token}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Period 2026-03 is already closed; reopen it first" in text
    assert "Run 1 queued" not in text
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


def _run_now(client, job="provisional"):
    token = csrf_from(client.get("/jobs").get_data(as_text=True))
    return client.post("/jobs/run", data={"job": job, "period": "", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)


def test_without_a_scheduler_the_page_warns_and_run_now_promises_nothing(company, signed_in):
    client = signed_in("central_it")
    html = client.get("/jobs").get_data(as_text=True)
    assert 'id="scheduler-state" data-alive="no"' in html
    assert "No scheduler is running" in html and "none has ever run" in html
    after = _run_now(client)
    assert "no scheduler is running: it waits until one starts" in after
    assert "within a few seconds" not in after
    assert "waits for a scheduler: none is running" in after
    assert "chargeback scheduler" in after and "chargeback jobs work" in after


def test_a_scheduler_heartbeat_shows_it_alive_and_run_now_says_it_picks_up(
        company, signed_in):
    jobs.bind(company, role="scheduler")
    jobs.heartbeat()
    client = signed_in("central_it")
    html = client.get("/jobs").get_data(as_text=True)
    assert 'data-alive="yes"' in html and "Scheduler running" in html
    assert "it beats every 15 s" in html
    after = _run_now(client)
    assert "queued: the scheduler picks it up within a few seconds" in after
    assert "waits its turn: the scheduler takes it" in after
    assert "waits for a scheduler" not in after


def test_a_silent_scheduler_counts_as_gone_and_a_worker_still_takes_runs(
        company, signed_in, session):
    from chargeback.models import Setting

    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    session.add(Setting(key=job_runs.HEARTBEAT_KEYS["scheduler"],
                        value=f"{long_ago.isoformat()}|elsewhere|7"))
    session.commit()
    client = signed_in("finance")
    html = client.get("/jobs").get_data(as_text=True)
    assert "No scheduler is running" in html and "last heartbeat came 10 min ago" in html
    job_runs.runner_beat(db.engine, "worker")
    html = client.get("/jobs").get_data(as_text=True)
    assert "No scheduler is running" in html
    assert "Queued runs are taken by a <code>chargeback jobs work</code> worker" in html


def test_the_heartbeat_is_written_at_most_twice_per_period(company, session):
    from chargeback.models import Setting

    key = job_runs.HEARTBEAT_KEYS["worker"]
    job_runs.runner_beat(db.engine, "worker", dt.timedelta(seconds=60))
    first = session.get(Setting, key).value
    job_runs.runner_beat(db.engine, "worker", dt.timedelta(seconds=60))
    session.rollback()
    assert session.get(Setting, key).value == first  # within half a period: not rewritten
    job_runs.runner_beat(db.engine, "worker", dt.timedelta(0))
    session.rollback()
    assert session.get(Setting, key).value != first


def test_the_scheduler_has_a_heartbeat_job_every_configured_seconds(company):
    from chargeback.jobs import scheduler

    company.config["CHARGEBACK_HEARTBEAT_SECONDS"] = 7
    try:
        built = scheduler.build(company)
        beat = built.get_job("heartbeat")
        assert beat.func_ref == "chargeback.jobs.targets:heartbeat"
        assert beat.trigger.interval == dt.timedelta(seconds=7)
    finally:
        company.config["CHARGEBACK_HEARTBEAT_SECONDS"] = 15
