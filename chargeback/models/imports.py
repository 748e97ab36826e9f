"""Import batches: one file is one batch, stored whole or refused whole."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import Base, created_at_column, one_of
from chargeback.vocabulary import BATCH_STATUSES, IMPORT_KINDS


class ImportBatch(Base):
    """A file that was imported or refused; a refused batch keeps its errors, none of its rows."""

    __tablename__ = "import_batches"
    __table_args__ = (
        one_of("kind", IMPORT_KINDS),
        one_of("status", BATCH_STATUSES),
        Index("ix_import_batches_kind_sha256", "kind", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    replace: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # The first errors as "line N: column: message" lines (the count says how many in all).
    errors: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()
