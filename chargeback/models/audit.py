"""The audit log: who changed what, when, why, and what the old value was."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from chargeback.models.base import Base, created_at_column


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = created_at_column()
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None]
    after: Mapped[dict | None]
    reason: Mapped[str | None] = mapped_column(Text)


def record(session: Session, actor: str, action: str, entity: str, key: str,
           before=None, after=None, reason: str | None = None) -> AuditEntry:
    """Add one entry: the one helper every verb uses to say who, what, before, after, why."""
    entry = AuditEntry(actor=actor, action=action, entity=entity, entity_key=key,
                       before=before, after=after, reason=reason)
    session.add(entry)
    return entry
