"""Import batches: one file is one batch, stored whole or refused whole."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import Base, created_at_column, one_of
from chargeback.refusals import Problem
from chargeback.vocabulary import BATCH_STATUSES, IMPORT_KINDS


class ImportBatch(Base):
    """A file that was imported or refused; a refused batch keeps its errors, none of its rows."""

    __tablename__ = "import_batches"
    __table_args__ = (
        one_of("kind", IMPORT_KINDS),
        one_of("status", BATCH_STATUSES),
        Index("ix_import_batches_kind_sha256", "kind", "sha256"),
        # "Already imported" held by the database: one stored batch per kind and content,
        # whatever its line endings, byte order mark or quoting (see services.importing).
        Index("uq_import_batches_kind_content", "kind", "content_sha256", unique=True,
              sqlite_where=text("status = 'stored'"),
              postgresql_where=text("status = 'stored'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))  # the file's bytes
    content_sha256: Mapped[str | None] = mapped_column(String(64))  # its parsed rows
    replace: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()

    # The first errors of a refused batch (``error_count`` says how many in all).
    problems: Mapped[list[BatchError]] = relationship(
        order_by="BatchError.position", cascade="all, delete-orphan")


class BatchError(Base):
    """One bad row (or a whole-file problem) of a refused batch, as data: line, column, why."""

    __tablename__ = "import_batch_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(Integer)
    line: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)

    def as_problem(self, kind: str | None = None) -> Problem:
        return Problem(kind=kind, line=self.line, column=self.column, message=self.message)
