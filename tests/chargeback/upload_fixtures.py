"""Big uploads in tests: a threshold of a few bytes, so a small file is "big", and an upload
folder of the test's own."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chargeback.extensions import db
from chargeback.models import Consumer, ImportBatch, JobRun, Service, UsageLine

THRESHOLD = 64
USAGE = ("period,consumer_code,service_code,quantity\n"
         "2026-04,C-ALT,CPU,9000\n2026-04,LAB1,CPU,1250.5\n")
USAGE_ROWS = [("C-ALT", "CPU", Decimal("9000")), ("LAB1", "CPU", Decimal("1250.5"))]
"""What USAGE stores: (consumer, service, quantity)."""
BAD_USAGE = ("period,consumer_code,service_code,quantity\n"
             "2026-04,LAB1,CPU,10\n2026-03,LAB1,CPU,5\n2026-04,NOPE,CPU,abc\n")


@pytest.fixture(name="big_uploads")
def big_uploads_fixture(app, tmp_path) -> Path:
    """Uploads above 64 bytes are jobs; returns the upload folder."""
    folder = tmp_path / "uploads"
    app.config.update(CHARGEBACK_UPLOAD_JOB_BYTES=THRESHOLD, CHARGEBACK_UPLOAD_DIR=str(folder))
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def fresh_run(run_id: int) -> JobRun:
    db.session.rollback()  # see what the runner committed
    return db.session.get(JobRun, run_id)


def usage_lines(period: str = "2026-04") -> list[tuple]:
    db.session.rollback()
    rows = db.session.execute(
        select(Consumer.code, Service.code, UsageLine.quantity)
        .join(Consumer, Consumer.id == UsageLine.consumer_id)
        .join(Service, Service.id == UsageLine.service_id)
        .where(UsageLine.period == period))
    return sorted(tuple(row) for row in rows)


def batch_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(ImportBatch))


def data_fingerprint() -> dict:
    """The data tables' fingerprint, without the runs and the runner's beat (bookkeeping)."""
    from tests.chargeback.helpers import data_fingerprint as every_table

    db.session.rollback()
    prints = every_table()
    for bookkeeping in ("job_runs", "settings"):
        prints.pop(bookkeeping, None)
    return prints
