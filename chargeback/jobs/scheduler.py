"""The scheduler process: the only place APScheduler is started.

APScheduler 3 cannot share a job store between processes, so web workers never start it:
``chargeback scheduler`` is its own process with a SQLAlchemyJobStore in the application
database and a fixed list of jobs with explicit ids (``replace_existing=True``). On start
it catches up on the months that fell due while it was down, oldest first. Its
``heartbeat`` job writes a row every ``CHARGEBACK_HEARTBEAT_SECONDS`` (in a thread of its
own, so a long close does not silence it): the Jobs page reads it to say whether a
scheduler is alive. SIGTERM (or SIGINT) lets the running job finish, then stops.
"""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from chargeback.extensions import db
from chargeback.jobs import targets as jobs

log = logging.getLogger("chargeback.scheduler")


def build(app: Flask) -> BackgroundScheduler:
    """The scheduler with its fixed jobs; not started."""
    config = app.config
    tz = config["CHARGEBACK_TIMEZONE"]
    with app.app_context():
        engine = db.engine
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600},
        timezone=tz)
    fixed = (
        ("close-month", "chargeback.jobs.targets:close_month",
         CronTrigger(hour=config["CHARGEBACK_CLOSE_HOUR"], minute=0, timezone=tz)),
        ("provisional", "chargeback.jobs.targets:provisional",
         CronTrigger(hour=config["CHARGEBACK_PROVISIONAL_HOUR"], minute=30, timezone=tz)),
        ("run-requests", "chargeback.jobs.targets:process_requests",
         IntervalTrigger(seconds=config["CHARGEBACK_POLL_SECONDS"])),
        ("sweep-stale", "chargeback.jobs.targets:sweep_stale", IntervalTrigger(minutes=1)),
        ("heartbeat", "chargeback.jobs.targets:heartbeat",
         IntervalTrigger(seconds=config["CHARGEBACK_HEARTBEAT_SECONDS"])),
    )
    for job_id, target, trigger in fixed:
        scheduler.add_job(target, trigger, id=job_id, name=job_id, replace_existing=True)
    return scheduler


def catch_up() -> None:
    """Months that fell due while no scheduler ran: one close each, oldest first."""
    jobs.heartbeat()
    jobs.sweep_stale()
    for outcome in jobs.close_month():
        log.info("catch-up: %s %s %s", outcome.period, outcome.status, outcome.message)
    jobs.process_requests()


def run(app: Flask, once: bool = False) -> None:
    """Run until SIGTERM/SIGINT; with ``once``, catch up and run queued requests, then stop."""
    jobs.bind(app)
    catch_up()
    if once:
        return
    scheduler = build(app)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("scheduler started: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    stop.wait()
    log.info("stopping: letting the running job finish")
    scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def start_in_background(app: Flask) -> BackgroundScheduler:
    """For ``chargeback demo`` only: web and scheduler in one process, for a single user."""
    jobs.bind(app)
    scheduler = build(app)
    scheduler.start()
    return scheduler
