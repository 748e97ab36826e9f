"""Job runs: what the scheduler (or a person) ran, for which period, and how it went.

``lock_key`` ("close-month:2026-03") is set while a run is running and cleared when it
ends. It is unique, so a second process trying to run the same job for the same period at
the same time fails to take it: that is what makes a close happen once even when two
schedulers were started by mistake. A run whose heartbeat stopped (its process was killed)
is marked stale and its key released, so the next run may go ahead.

A big upload is a run too (job ``import``): the ``upload_*`` columns say what the uploader
sent and with which rights (the kind, their file's name, the name it is stored under in the
upload folder, its size, the replace flag, and the unit scope computed when it was
uploaded); ``batch_id`` is the import batch it came to.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import PERIOD, Base, created_at_column, one_of
from chargeback.vocabulary import RUN_STATUSES


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (one_of("status", RUN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str | None] = mapped_column(PERIOD)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    message: Mapped[str | None] = mapped_column(Text)
    pack_id: Mapped[int | None] = mapped_column(ForeignKey("pack_files.id"))
    lock_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    upload_kind: Mapped[str | None] = mapped_column(String(32))
    upload_filename: Mapped[str | None] = mapped_column(String(255))
    upload_name: Mapped[str | None] = mapped_column(String(64))
    upload_bytes: Mapped[int | None] = mapped_column(BigInteger)
    upload_replace: Mapped[bool | None] = mapped_column(Boolean)
    upload_scope: Mapped[dict | None]
