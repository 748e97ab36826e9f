"""``chargeback jobs work``: a dedicated runner of queued runs, beside or instead of the
scheduler's own polling.

It takes queued runs (big uploads, "run now" requests) one at a time, oldest first, polls
every ``CHARGEBACK_POLL_SECONDS`` when the queue is empty, and sweeps dead runs and
leftover uploads every minute. Several workers (and schedulers) may run at once: each run
is claimed by one of them. SIGTERM (or SIGINT) lets the running job finish, then it stops.
It schedules nothing: month closes and nightly drafts are the scheduler's. It writes a
heartbeat of its own every ``CHARGEBACK_HEARTBEAT_SECONDS`` (the Jobs page shows it).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from flask import Flask

from chargeback.jobs import targets as jobs

log = logging.getLogger("chargeback.worker")
SWEEP_EVERY = 60.0


def run(app: Flask, once: bool = False,
        report: Callable[[jobs.Outcome], None] | None = None) -> list[jobs.Outcome]:
    """Work until stopped; with ``once``, run what is queued now and return its outcomes."""
    jobs.bind(app, role="worker")
    report = report or (lambda o: None)
    jobs.heartbeat()
    jobs.sweep_stale()
    if once:
        outcomes = jobs.process_requests()
        for outcome in outcomes:
            report(outcome)
        return outcomes
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    beating = threading.Thread(target=_beat, name="heartbeat", daemon=True,
                               args=(stop, app.config["CHARGEBACK_HEARTBEAT_SECONDS"]))
    beating.start()
    _loop(stop, app.config["CHARGEBACK_POLL_SECONDS"], report)
    beating.join()
    return []


def _beat(stop: threading.Event, seconds: float) -> None:
    """The worker's heartbeat, in a thread of its own so a long upload does not silence it."""
    while not stop.wait(seconds):
        try:
            jobs.heartbeat()
        except Exception:  # the database went away for a moment: the next beat says it
            log.exception("heartbeat failed")


def _loop(stop: threading.Event, poll_seconds: float,
          report: Callable[[jobs.Outcome], None]) -> None:
    log.info("worker started: polling every %s s", poll_seconds)
    swept = time.monotonic()
    while not stop.is_set():
        try:
            for outcome in jobs.process_requests(stop=stop):
                report(outcome)
            if time.monotonic() - swept >= SWEEP_EVERY:
                jobs.sweep_stale()
                swept = time.monotonic()
        except Exception:  # the database went away for a moment: try again at the next poll
            log.exception("worker poll failed")
        stop.wait(poll_seconds)
    log.info("worker stopped")
