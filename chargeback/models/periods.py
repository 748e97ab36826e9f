"""Accounting months and the pack files written for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import PERIOD, Base, created_at_column, one_of, period_check
from chargeback.vocabulary import PACK_KINDS, PERIOD_STATUSES


class Period(Base):
    """A month. Closing it freezes every figure of that month; reopening is audited."""

    __tablename__ = "periods"
    __table_args__ = (period_check("period"), one_of("status", PERIOD_STATUSES))

    period: Mapped[str] = mapped_column(PERIOD, primary_key=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(254))
    # How many times the period has been closed; the pack of close n>1 is "-r<n>".
    close_count: Mapped[int] = mapped_column(Integer, default=0)
    # The holding-wide settings the close used, so a later change of them leaves the
    # closed month (its group bands, its pack written again) as it was.
    currency: Mapped[str | None] = mapped_column(String(3))
    band_limits: Mapped[dict | None]


class PackFile(Base):
    """A workbook written for a period; earlier revisions stay where finance received them."""

    __tablename__ = "pack_files"
    __table_args__ = (
        UniqueConstraint("period", "kind", "revision"),
        one_of("kind", PACK_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="final")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()
