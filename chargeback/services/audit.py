"""Writing the audit log: one helper so every verb records who, what, before, after, why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chargeback.models import AuditEntry


def record(session: Session, actor: str, action: str, entity: str, key: str,
           before=None, after=None, reason: str | None = None) -> AuditEntry:
    entry = AuditEntry(actor=actor, action=action, entity=entity, entity_key=key,
                       before=before, after=after, reason=reason)
    session.add(entry)
    return entry
