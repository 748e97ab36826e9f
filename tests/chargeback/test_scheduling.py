"""The month closes itself: business days, waiting and retry, catch-up, exactly once,
a killed close, and the mail to finance. Time travel with time-machine."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from chargeback import jobs
from chargeback.extensions import db
from chargeback.models import JobRun, JournalLine, PackFile, Period
from chargeback.services.calendar import business_day, due_at
from tests.chargeback.test_close_end_to_end import DATA, run
from tests.conftest import FAST_HASH

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the business-day rule ------------------------------------------------------------


@pytest.mark.parametrize(("year", "month", "n", "expected"), [
    (2026, 2, 3, "2026-02-04"),   # 1 Feb 2026 is a Sunday
    (2026, 4, 3, "2026-04-03"),   # Wed 1, Thu 2, Fri 3
    (2026, 5, 3, "2026-05-05"),   # Fri 1, then the weekend
    (2027, 1, 3, "2027-01-05"),   # across the year end: Fri 1, Mon 4, Tue 5
    (2026, 8, 1, "2026-08-03"),   # 1 Aug 2026 is a Saturday
    (2026, 2, 40, "2026-02-27"),  # capped at the last business day
])
def test_business_day(year, month, n, expected):
    assert business_day(year, month, n).isoformat() == expected


def test_due_date_of_december_is_in_january():
    assert due_at("2026-12", 3, 6, UTC) == at("2027-01-05T06:00:00")


# --- the close-month job --------------------------------------------------------------


def load(runner, period_map: dict[str, str] | None = None, skip=(), tmp_path=None):
    """The end-to-end company, optionally copied to other months, some kinds left out."""
    for kind in ("units", "consumers", "services", "rates", "spend", "budget", "metrics",
                 "usage", "drivers"):
        if kind in skip:
            continue
        source = DATA / f"{kind}.csv"
        for target in (period_map or {"2026-03": "2026-03"}).values():
            text = source.read_text()
            if kind in ("spend", "budget", "metrics", "usage", "drivers"):
                text = text.replace("2026-03", target)
            elif target != "2026-03" and kind != "rates":
                if target != min((period_map or {}).values()):
                    continue
            elif kind == "rates" and target != min((period_map or {"x": "2026-03"}).values()):
                continue
            path = tmp_path / f"{kind}-{target}.csv"
            path.write_text(text)
            run(runner, "import", kind, str(path))
    for name in ("WW", "ALT", "LAB"):
        run(runner, "scorecard", "import", str(DATA / f"scorecard-{name}.json"))
    for name in ("DC", "ALT", "WW"):
        run(runner, "rules", "import", str(DATA / f"rules-{name}.json"))


def runs(job="close-month"):
    db.session.rollback()
    return db.session.scalars(select(JobRun).where(JobRun.job == job)
                              .order_by(JobRun.id)).all()


@pytest.fixture
def bound(app):
    jobs.bind(app)
    return app


def test_not_due_before_business_day_three(bound, runner, tmp_path):
    load(runner, tmp_path=tmp_path)
    with time_machine.travel(at("2026-04-03T05:59:00"), tick=False):
        assert [o.period for o in jobs.close_month()] == []
    with time_machine.travel(at("2026-04-03T06:00:00"), tick=False):
        outcome = jobs.close_month()
    assert [(o.period, o.status) for o in outcome] == [("2026-03", "succeeded")]
    db.session.rollback()
    assert db.session.get(Period, "2026-03").status == "closed"


def test_waiting_then_retry_daily_then_close(bound, runner, tmp_path):
    load(runner, skip=("usage",), tmp_path=tmp_path)
    with time_machine.travel(at("2026-04-03T06:00:00"), tick=False):
        first = jobs.close_month()
    assert first[0].status == "waiting"
    assert "no usage of DC's service CPU" in first[0].message
    with time_machine.travel(at("2026-04-04T06:00:00"), tick=False):
        second = jobs.close_month()
    assert second[0].status == "waiting" and "1 day(s) so far" in second[0].message
    db.session.rollback()
    assert db.session.get(Period, "2026-03").status == "open"
    run(runner, "import", "usage", str(DATA / "usage.csv"))
    with time_machine.travel(at("2026-04-06T06:00:00"), tick=False):
        third = jobs.close_month()
    assert third[0].status == "succeeded"
    assert [r.status for r in runs()] == ["waiting", "waiting", "succeeded"]


def test_closes_anyway_only_when_configured(bound, runner, tmp_path):
    bound.config["CHARGEBACK_CLOSE_ANYWAY_AFTER_DAYS"] = 2
    load(runner, skip=("usage",), tmp_path=tmp_path)
    with time_machine.travel(at("2026-04-03T06:00:00"), tick=False):
        assert jobs.close_month()[0].status == "waiting"
    with time_machine.travel(at("2026-04-04T06:00:00"), tick=False):
        assert jobs.close_month()[0].status == "waiting"
    with time_machine.travel(at("2026-04-05T06:00:00"), tick=False):
        outcome = jobs.close_month()[0]
    assert outcome.status == "succeeded" and "closed anyway after 2 day(s)" in outcome.message


def test_catch_up_after_three_missed_months_oldest_first(bound, runner, tmp_path):
    months = {"a": "2026-01", "b": "2026-02", "c": "2026-03"}
    load(runner, months, tmp_path=tmp_path)
    with time_machine.travel(at("2026-04-20T09:00:00"), tick=False):
        outcomes = jobs.close_month()
    assert [(o.period, o.status) for o in outcomes] == [
        ("2026-01", "succeeded"), ("2026-02", "succeeded"), ("2026-03", "succeeded")]
    db.session.rollback()
    closed = db.session.scalars(select(PackFile.period).order_by(PackFile.id)).all()
    assert closed == ["2026-01", "2026-02", "2026-03"]
    with time_machine.travel(at("2026-04-21T09:00:00"), tick=False):
        assert jobs.close_month() == []  # nothing more is due; nothing closes twice


def test_provisional_pack_changes_nothing(bound, runner, tmp_path, app):
    import openpyxl

    load(runner, tmp_path=tmp_path)
    with time_machine.travel(at("2026-03-20T01:30:00"), tick=False):
        outcome = jobs.provisional()
    assert outcome.status == "succeeded", outcome.message
    db.session.rollback()
    assert db.session.get(Period, "2026-03").status == "open"
    assert db.session.scalar(select(func.count()).select_from(JournalLine)) == 0
    path = Path(app.config["CHARGEBACK_PACK_DIR"]) / "chargeback-2026-03-provisional.xlsx"
    book = openpyxl.load_workbook(path)
    for name in book.sheetnames:
        sheet = book[name]
        texts = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
        assert any("PROVISIONAL" in t.upper() for t in texts), name
    cover = dict(book["Cover"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert "conservation checked when this provisional pack was computed" in cover["Note 1"]
    assert "at the close" not in cover["Note 1"]  # the month is not closed
    again = jobs.provisional(at("2026-03-21T01:30:00"))
    assert again.status == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(PackFile)) == 1


def test_run_now_request_is_picked_up(bound, runner, tmp_path):
    from chargeback.services import job_runs

    load(runner, tmp_path=tmp_path)
    queued = job_runs.queue(db.session, "close-month", "2026-03", "cit@example.com")
    db.session.commit()
    assert runs()[0].status == "queued"
    outcomes = jobs.process_requests()
    assert [(o.period, o.status) for o in outcomes] == [("2026-03", "succeeded")]
    db.session.rollback()
    done = db.session.get(JobRun, queued.id)
    assert done.status == "succeeded" and done.progress == 100 and done.pack_id
    assert jobs.process_requests() == []


# --- mail to finance ------------------------------------------------------------------


def test_one_mail_per_published_pack_to_finance_only(bound, runner, tmp_path, session):
    from aiosmtpd.controller import Controller

    from chargeback.services.users import create_user

    received = []

    class Handler:
        async def handle_DATA(self, server, smtp_session, envelope):  # noqa: N802
            received.append(envelope)
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        bound.config.update(CHARGEBACK_SMTP_HOST="127.0.0.1", CHARGEBACK_SMTP_PORT=port,
                            CHARGEBACK_BASE_URL="https://chargeback.example")
        for email, role, units in (("f1@example.com", "finance", []),
                                   ("f2@example.com", "finance", []),
                                   ("boss@example.com", "admin", []),
                                   ("cit@example.com", "central_it", [])):
            create_user(session, email, role, "a long password", "test", units,
                        hash_method=FAST_HASH)
        session.commit()
        load(runner, tmp_path=tmp_path)
        with time_machine.travel(at("2026-04-03T06:00:00"), tick=False):
            assert jobs.close_month()[0].status == "succeeded"
            assert jobs.close_month() == []
    finally:
        controller.stop()
    assert len(received) == 1
    assert sorted(received[0].rcpt_tos) == ["f1@example.com", "f2@example.com"]
    body = received[0].content.decode()
    assert "2026-03" in body and "https://chargeback.example/packs/" in body


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- real processes: exactly once, and a killed close ---------------------------------


def _env(app) -> dict:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x",
            "CHARGEBACK_PACK_DIR": app.config["CHARGEBACK_PACK_DIR"]}


def _cli(*args) -> list[str]:
    return [str(Path(sys.executable).with_name("chargeback")), *args]


@pytest.mark.slow
def test_two_schedulers_and_a_run_now_close_once(bound, runner, tmp_path, app):
    from chargeback.services import job_runs

    load(runner, tmp_path=tmp_path)
    job_runs.queue(db.session, "close-month", "2026-03", "cit@example.com")
    db.session.commit()
    env = _env(app)
    processes = [subprocess.Popen(_cli(*args), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
                 for args in (("scheduler", "--once"), ("scheduler", "--once"),
                              ("jobs", "run", "close-month", "--period", "2026-03"))]
    outputs = [p.communicate(timeout=180)[0] for p in processes]
    db.session.rollback()
    assert db.session.get(Period, "2026-03").status == "closed", outputs
    assert db.session.get(Period, "2026-03").close_count == 1
    assert db.session.scalar(select(func.count()).select_from(PackFile)) == 1
    assert db.session.scalar(select(func.count()).select_from(JournalLine)) == 10
    packs = sorted(p.name for p in Path(app.config["CHARGEBACK_PACK_DIR"]).glob("*.xlsx"))
    assert packs == ["chargeback-2026-03.xlsx"]
    statuses = [r.status for r in runs() if r.period == "2026-03"]
    assert statuses.count("running") == 0 and "succeeded" in statuses


@pytest.mark.slow
def test_a_killed_close_leaves_the_month_open_and_the_next_run_succeeds(
        bound, runner, tmp_path, app):
    load(runner, tmp_path=tmp_path)
    env = {**_env(app), "CHARGEBACK_FAILPOINT": "close.before-commit:60"}
    process = subprocess.Popen(_cli("jobs", "run", "close-month", "--period", "2026-03"),
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        started = [r for r in runs() if r.status == "running" and r.progress >= 50]
        pending = list(Path(app.config["CHARGEBACK_PACK_DIR"]).glob(".*.pending"))
        if started and pending:
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the close never reached its commit")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    db.session.rollback()
    assert db.session.get(Period, "2026-03").status == "open"
    assert db.session.scalar(select(func.count()).select_from(PackFile)) == 0
    assert list(Path(app.config["CHARGEBACK_PACK_DIR"]).glob("*.xlsx")) == []
    outcome = jobs.run_now("close-month", "2026-03", "test")[0]
    assert outcome.status == "succeeded", outcome.message
    statuses = [r.status for r in runs()]
    assert statuses == ["failed", "succeeded"]
    assert "stale" in runs()[0].message


@pytest.mark.slow
def test_scheduler_process_stops_gracefully_on_sigterm(bound, app):
    env = {**_env(app), "CHARGEBACK_POLL_SECONDS": "1"}
    process = subprocess.Popen(_cli("scheduler"), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "scheduler started" in line:
            break
    else:
        process.kill()
        pytest.fail("the scheduler did not start: " + "".join(lines))
    assert "close-month" in lines[-1] and "provisional" in lines[-1]
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 0
    assert "scheduler stopped" in output
