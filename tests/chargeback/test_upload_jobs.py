"""The ``import`` job itself: the runner in this process and in a process of its own
(``chargeback jobs work``), a run that dies, a stored file that is gone, progress, and the
clean-up of stored files."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from chargeback import jobs
from chargeback.extensions import db
from chargeback.models import ImportBatch, JobRun, Period
from chargeback.services import job_runs, upload_jobs
from tests.chargeback.test_close_end_to_end import DATA, run
from tests.chargeback.upload_fixtures import (  # noqa: F401  (fixture)
    USAGE,
    USAGE_ROWS,
    batch_count,
    big_uploads_fixture,
    data_fingerprint,
    fresh_run,
    stored_files,
    usage_lines,
)


@pytest.fixture
def reference(runner, app, big_uploads):
    """Units, consumers, services and rates: enough for usage rows; jobs bound to the app."""
    for kind in ("units", "consumers", "services", "rates"):
        run(runner, "import", kind, str(DATA / f"{kind}.csv"))
    jobs.bind(app)
    return big_uploads


def queue(folder: Path, content: str = USAGE, *, kind: str = "usage",
          scope: set[str] | None = None, name: str = "usage.csv") -> JobRun:
    data = content.encode()
    queued = upload_jobs.queue(db.session, folder, lambda path: path.write_bytes(data),
                               kind=kind, filename=name, size=len(data), replace=False,
                               scope=scope, requested_by="cit@example.com")
    db.session.commit()
    return queued


def env(app, folder: Path, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "x", "CHARGEBACK_PACK_DIR": app.config["CHARGEBACK_PACK_DIR"],
            "CHARGEBACK_UPLOAD_DIR": str(folder), "CHARGEBACK_POLL_SECONDS": "1", **extra}


def cli(*args) -> list[str]:
    return [str(Path(sys.executable).with_name("chargeback")), *args]


# --- the pieces ----------------------------------------------------------------------------


def test_sizes_and_percentages():
    assert [upload_jobs.percent(read, 1000) for read in (0, 40, 500, 999, 1000, 5000)] == [
        5, 5, 50, 99, 99, 99]
    assert upload_jobs.percent(10, 0) == 5
    assert [upload_jobs.size_text(n) for n in (64, 830_000, 52_400_000)] == [
        "64 bytes", "830 kB", "52.4 MB"]
    stream = io.BytesIO(b"x" * 300)
    stream.seek(7)
    assert upload_jobs.size_of(stream) == 300 and stream.tell() == 7
    assert upload_jobs.is_big(65, 64) and not upload_jobs.is_big(64, 64)


def test_the_threshold_and_the_folder_are_settings(tmp_path, monkeypatch):
    from chargeback import config

    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("CHARGEBACK_UPLOAD_JOB_BYTES", raising=False)
    monkeypatch.delenv("CHARGEBACK_UPLOAD_DIR", raising=False)
    settings = config.from_environment(str(tmp_path))
    assert settings["CHARGEBACK_UPLOAD_JOB_BYTES"] == 5 * 1024 * 1024
    assert settings["CHARGEBACK_UPLOAD_DIR"] == str(tmp_path / "uploads")
    monkeypatch.setenv("CHARGEBACK_UPLOAD_JOB_BYTES", "1000")
    monkeypatch.setenv("CHARGEBACK_UPLOAD_DIR", "/srv/uploads")
    settings = config.from_environment(str(tmp_path))
    assert (settings["CHARGEBACK_UPLOAD_JOB_BYTES"], settings["CHARGEBACK_UPLOAD_DIR"]) == (
        1000, "/srv/uploads")


def test_a_failed_queueing_leaves_no_file(app, big_uploads):
    def save(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        upload_jobs.queue(db.session, big_uploads, save, kind="usage", filename="u.csv",
                          size=4, replace=False, scope=None, requested_by="x@example.com")
    assert stored_files(big_uploads) == []


# --- the runner in this process ------------------------------------------------------------


def test_the_runner_imports_as_the_uploader_and_removes_the_file(reference):
    queued = queue(reference)
    assert len(stored_files(reference)) == 1
    [outcome] = jobs.process_requests()
    assert (outcome.status, outcome.run_id) == ("succeeded", queued.id)
    done = fresh_run(queued.id)
    assert (done.status, done.progress, done.lock_key) == ("succeeded", 100, None)
    batch = db.session.get(ImportBatch, done.batch_id)
    assert (batch.actor, batch.status, batch.rows) == ("cit@example.com", "stored", 2)
    assert usage_lines() == USAGE_ROWS and stored_files(reference) == []
    assert jobs.process_requests() == []


def test_a_job_that_dies_leaves_the_month_untouched(reference, monkeypatch):
    before, batches = data_fingerprint(), batch_count()
    queued = queue(reference)
    monkeypatch.setenv("CHARGEBACK_FAILPOINT", "upload-job.before-commit:fail")
    [outcome] = jobs.process_requests()
    assert outcome.status == "failed" and "failpoint" in outcome.message
    done = fresh_run(queued.id)
    assert done.status == "failed" and done.batch_id is None
    assert done.message == "usage.csv: error: failpoint upload-job.before-commit; nothing was " \
                           "stored"
    assert data_fingerprint() == before and batch_count() == batches
    assert db.session.get(Period, "2026-04") is None  # not even the new month
    assert stored_files(reference) == []


def test_a_run_whose_stored_file_is_gone_fails_and_says_so(reference):
    queued = queue(reference)
    (reference / queued.upload_name).unlink()
    [outcome] = jobs.process_requests()
    assert outcome.status == "failed"
    assert fresh_run(queued.id).message == (f"the stored file of run {queued.id} is gone: "
                                            "nothing was imported; upload the file again")


def test_a_run_that_recorded_no_scope_is_not_run_without_one(reference):
    queued = queue(reference, scope={"ALT"})
    db.session.execute(text("UPDATE job_runs SET upload_scope = NULL WHERE id = :id"),
                       {"id": queued.id})
    db.session.commit()
    before = data_fingerprint()
    [outcome] = jobs.process_requests()
    assert outcome.status == "failed" and "recorded no unit scope" in outcome.message
    assert data_fingerprint() == before and stored_files(reference) == []


def test_a_stored_name_is_never_a_path(reference):
    queued = queue(reference)
    db.session.execute(text("UPDATE job_runs SET upload_name = '../../secret_key' "
                            "WHERE id = :id"), {"id": queued.id})
    db.session.commit()
    [outcome] = jobs.process_requests()
    assert outcome.status == "failed" and "names no stored upload" in outcome.message


def test_progress_follows_the_bytes_read(reference):
    queued = queue(reference)
    progress = jobs_uploads().Progress(db.engine, queued)
    progress.live = True  # as on PostgreSQL; outside an import SQLite takes the write too
    progress(len(USAGE) // 2)
    assert fresh_run(queued.id).progress == 50
    assert fresh_run(queued.id).message == (
        f"importing usage.csv: {len(USAGE) // 2} bytes of {len(USAGE)} bytes read")
    progress(10)  # never backwards
    assert fresh_run(queued.id).progress == 50


def jobs_uploads():
    from chargeback.jobs import uploads

    return uploads


@pytest.mark.postgres
def test_progress_is_visible_while_the_import_runs(reference, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: the import; its run shows progress at the end")
    lines = ["period,consumer_code,service_code,quantity"]
    lines += [f"2026-04,LAB1,CPU,{n}" for n in range(1, 12_001)]
    queue(reference, "\n".join(lines) + "\n")
    seen: list[tuple[int, int]] = []
    write = job_runs.progress

    def watched(engine, run_row, percent, message=None):
        write(engine, run_row, percent, message)
        with engine.connect() as other:  # another connection, while the import is open
            seen.append((percent, other.scalar(text(
                "SELECT progress FROM job_runs WHERE id = :id"), {"id": run_row.id})))

    monkeypatch.setattr(job_runs, "progress", watched)
    [outcome] = jobs.process_requests()
    assert outcome.status == "succeeded", outcome.message
    assert all(written == read for written, read in seen), seen
    assert seen[0] == (5, 5)  # started
    during = [written for written, _ in seen[1:]]
    assert during and all(5 < written < 100 for written in during), seen


def test_a_dead_run_s_file_is_swept_and_other_leftovers_too(reference, app):
    queued = queue(reference)
    stale = job_runs.start(db.engine, "import", None, "x", queued.id, key=f"import:{queued.id}")
    db.session.rollback()
    with db.engine.begin() as connection:  # its process is gone
        connection.execute(text("UPDATE job_runs SET pid = 999999999 WHERE id = :id"),
                           {"id": stale.id})
    waiting = queue(reference, name="waiting.csv")
    orphan = reference / f"{'a' * 32}.upload"
    orphan.write_text("a request stored it and then failed")
    keep = reference / "not-ours.txt"
    keep.write_text("x")
    old = time.time() - 2 * 3600
    for path in reference.iterdir():
        os.utime(path, (old, old))
    jobs.sweep_stale()
    dead = fresh_run(queued.id)
    assert dead.status == "failed" and dead.message.endswith("upload the file again")
    left = {p.name for p in stored_files(reference)}
    assert left == {waiting.upload_name, "not-ours.txt"}  # the queued one waits for its run


def test_a_run_claimed_by_a_process_that_died_before_starting_it_is_failed(reference):
    queued = queue(reference)
    [claimed] = job_runs.claim_queued(db.engine)
    assert claimed.id == queued.id and fresh_run(queued.id).status == "queued"
    db.session.rollback()
    with db.engine.begin() as connection:  # the claiming process is gone
        connection.execute(text("UPDATE job_runs SET pid = 999999999 WHERE id = :id"),
                           {"id": queued.id})
    assert job_runs.release_stale(db.engine) == 1
    assert fresh_run(queued.id).status == "failed"
    assert job_runs.claim_next(db.engine) is None


# --- the runner as a command and as a process of its own -----------------------------------


def test_jobs_work_once_through_the_command_line(reference, runner):
    queued = queue(reference)
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert f"run {queued.id} import -: succeeded: usage.csv: 2 usage rows imported" \
        in result.output
    assert usage_lines() == USAGE_ROWS
    listed = runner.invoke(args=["jobs", "list"]).output
    assert "import" in listed and "succeeded" in listed
    one = runner.invoke(args=["jobs", "list", "--limit", "1"])
    assert one.exit_code == 0 and f"{queued.id:>5} import" in one.output
    for bad in ("0", "-5"):  # not "no job runs yet", not every run: a usage error
        refused = runner.invoke(args=["jobs", "list", "--limit", bad])
        assert refused.exit_code == 2 and "--limit" in refused.stderr, refused.output


def test_jobs_work_once_in_a_process_of_its_own(reference, app):
    queued = queue(reference)
    db.session.rollback()
    done = subprocess.run(cli("jobs", "work", "--once"), capture_output=True, text=True,
                          env=env(app, reference), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"run {queued.id} import -: succeeded" in done.stdout
    assert fresh_run(queued.id).status == "succeeded"
    assert usage_lines() == USAGE_ROWS and stored_files(reference) == []


def test_the_worker_runs_until_stopped(reference, app):
    worker = subprocess.Popen(cli("jobs", "work"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env(app, reference))
    try:
        queued = queue(reference)
        deadline = time.monotonic() + 120
        while fresh_run(queued.id).status in upload_jobs.PENDING:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, "the worker did not take the upload"
            time.sleep(0.2)
        assert fresh_run(queued.id).status == "succeeded"
        runner_state = job_runs.runner(db.session, dt.timedelta(minutes=2))
        assert runner_state.present and runner_state.queued == 0
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "worker stopped" in output
    assert usage_lines() == USAGE_ROWS
    db.session.rollback()
    assert db.session.scalar(select(ImportBatch).where(ImportBatch.filename == "usage.csv"))
