"""Job runs: what the scheduler (or a person) ran, for which period, and how it went.

``lock_key`` ("close-month:2026-03") is set while a run is running and cleared when it
ends. It is unique, so a second process trying to run the same job for the same period at
the same time fails to take it: that is what makes a close happen once even when two
schedulers were started by mistake. A run whose heartbeat stopped (its process was killed)
is marked stale and its key released, so the next run may go ahead.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
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
