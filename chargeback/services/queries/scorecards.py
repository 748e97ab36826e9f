"""Scorecard versions as people browse them: a unit's history, one version, the decisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chargeback.models import AuditEntry, ScorecardVersion, Unit
from chargeback.refusals import NotFound
from chargeback.services.queries.sql import Page, page_of

DECISIONS = ("scorecard.approve", "scorecard.send_back")


def history(session: Session, unit_id: int, number: int | None, per_page: int = 50) -> Page:
    """A unit's versions, newest first."""
    return page_of(session, select(ScorecardVersion).where(ScorecardVersion.unit_id == unit_id)
                   .order_by(ScorecardVersion.version.desc()), number, per_page)


def numbers(session: Session, unit_id: int) -> list[int]:
    """A unit's version numbers, newest first (what the compare page offers)."""
    return list(session.scalars(select(ScorecardVersion.version).where(
        ScorecardVersion.unit_id == unit_id).order_by(ScorecardVersion.version.desc())))


def numbered(session: Session, unit_id: int, number: int) -> ScorecardVersion | None:
    """A unit's version by its number (v3 of ALT)."""
    return session.scalar(select(ScorecardVersion).where(
        ScorecardVersion.unit_id == unit_id, ScorecardVersion.version == number))


def versions(session: Session, unit_id: int, status: str | None = None
             ) -> list[ScorecardVersion]:
    """A unit's versions with their criteria, newest first (two queries, however many)."""
    query = (select(ScorecardVersion).where(ScorecardVersion.unit_id == unit_id)
             .options(selectinload(ScorecardVersion.criteria)))
    if status:
        query = query.where(ScorecardVersion.status == status)
    return list(session.scalars(query.order_by(ScorecardVersion.version.desc())))


def version(session: Session, version_id: int) -> tuple[ScorecardVersion, Unit]:
    found = session.get(ScorecardVersion, version_id)
    if found is None:
        raise NotFound(f"There is no scorecard version {version_id}.", kind="scorecard")
    return found, session.get(Unit, found.unit_id)


def recent_decisions(session: Session, limit: int = 20) -> list[AuditEntry]:
    """The latest approvals and send-backs, newest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action.in_(DECISIONS))
                                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                                .limit(limit)))
