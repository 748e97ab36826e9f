"""A transaction PostgreSQL stopped because of another one (a deadlock) is a refusal to try
again, in every delivery layer, and nothing of it is kept. The real deadlock between two
processes is in test_races.py; here the database's answer is simulated so each layer's
handling is checked on SQLite too."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from chargeback.extensions import db
from chargeback.models import AuditEntry, ImportBatch, Period, SpendLine
from chargeback.refusals import CONTENTION
from chargeback.services import importing
from tests.chargeback.helpers import write_csv
from tests.chargeback.web.conftest import csrf_from


class _Deadlock(Exception):
    sqlstate = "40P01"


class _Other(Exception):
    sqlstate = "23505"


def deadlock(*_args, **_kwargs):
    raise OperationalError("UPDATE ...", {}, _Deadlock("deadlock detected"))


def test_the_web_app_answers_a_deadlock_with_409_and_keeps_nothing(
        company, signed_in, session, monkeypatch):
    from chargeback.web import data

    client = signed_in("central_it")
    page = client.get("/periods").get_data(as_text=True)

    def reopen_then_deadlock(s, period, reason, actor):
        s.get(Period, period).status = "open"  # a change made before the deadlock
        deadlock()

    monkeypatch.setattr(data, "reopen_period", reopen_then_deadlock)
    answer = client.post("/periods/2026-03/reopen", data={
        "reason": "late usage", "csrf_token": csrf_from(page)})
    assert answer.status_code == 409
    assert "try again" in answer.get_data(as_text=True)
    session.expire_all()
    assert session.get(Period, "2026-03").status == "closed"


def test_the_api_answers_a_deadlock_with_409_in_its_error_shape(api, monkeypatch):
    from chargeback.api import periods

    monkeypatch.setattr(periods, "reopen_period", deadlock)
    answer = api("central_it").post("/api/v1/periods/2026-03/reopen",
                                    json={"reason": "late usage"})
    assert answer.status_code == 409
    assert answer.get_json()["message"] == CONTENTION


def test_another_database_error_stays_a_500(app, api, monkeypatch):
    from chargeback.api import periods

    def broken(*_args, **_kwargs):
        raise OperationalError("UPDATE ...", {}, _Other("duplicate key"))

    monkeypatch.setattr(periods, "reopen_period", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = api("central_it").post("/api/v1/periods/2026-03/reopen", json={"reason": "late usage"})
    assert answer.status_code == 500


def test_the_command_line_refuses_a_deadlock_and_exits_1(company, runner, monkeypatch):
    from chargeback.services import closing

    monkeypatch.setattr(closing, "reopen_period", deadlock)
    result = runner.invoke(args=["reopen", "2026-03", "--reason", "late usage"])
    assert result.exit_code == 1 and CONTENTION in result.stderr
    assert "Traceback" not in result.output


def test_an_import_stopped_by_a_deadlock_is_recorded_refused_with_nothing_stored(
        company, runner, tmp_path, monkeypatch):
    spend = write_csv(tmp_path, "spend.csv",
                      "period,unit_code,cost_pool,amount,tower,account,description\n"
                      "2026-04,ALT,labor,100.00,end_user,6020,Staff\n")
    before = db.session.scalar(select(func.count()).select_from(SpendLine))
    audit = db.session.scalar(select(func.count()).select_from(AuditEntry))
    monkeypatch.setattr(importing, "_claim_content", deadlock)
    result = runner.invoke(args=["import", "spend", str(spend)])
    assert result.exit_code == 1, result.output
    assert "import the file again" in result.stderr
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SpendLine)) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(1))
    assert (batch.filename, batch.status, batch.error_count) == ("spend.csv", "refused", 1)



@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CHARGEBACK_TEST_DATABASE_URL", "").startswith(
    "postgresql"), reason="PostgreSQL's lock_timeout (SQLite's wait is its busy_timeout, 30 s)")
def test_a_web_change_waits_for_a_close_only_so_long_then_answers_409(
        app, api, runner, tmp_path):
    """A close holds the reference lock alone for as long as it freezes and writes its pack;
    a scorecard draft saved meanwhile waits CHARGEBACK_LOCK_WAIT_SECONDS, then is told to try
    again, instead of holding a web worker for the length of the close."""
    from tests.chargeback.api.test_scorecards import draft
    from tests.chargeback.test_races import paused

    spend = write_csv(tmp_path, "spend.csv",
                      "period,unit_code,cost_pool,amount,tower,account,description\n"
                      "2026-04,ALT,labor,100.00,end_user,6020,Staff\n")
    assert runner.invoke(args=["import", "spend", str(spend)]).exit_code == 0
    close = paused(app, tmp_path, "close.after-gather", 15, "close", "2026-04")
    try:
        assert close.poll() is None, close.communicate()[0]
        app.config["CHARGEBACK_LOCK_WAIT_SECONDS"] = 1
        start = time.monotonic()
        answer = api("unit_head").post("/api/v1/units/ALT/scorecards",
                                       json=draft(effective_from="2026-05"))
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["message"] == CONTENTION
        assert time.monotonic() - start < 10
    finally:
        close.communicate(timeout=120)  # (it then stops: April has no driver quantities)
