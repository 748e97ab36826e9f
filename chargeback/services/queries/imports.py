"""Import batches: the list a user may see, and one batch with its row errors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chargeback.models import ImportBatch
from chargeback.refusals import NotFound, Problem
from chargeback.services.queries.sql import Page, after, page_of


def _listed(actor: str | None):
    query = select(ImportBatch)
    if actor is not None:
        query = query.where(ImportBatch.actor == actor)
    return query


def page(session: Session, actor: str | None, number: int | None, per_page: int = 50) -> Page:
    """Batches newest first (ids grow); ``actor`` keeps one person's own."""
    return page_of(session, _listed(actor).order_by(ImportBatch.id.desc()), number, per_page)


def keyset(session: Session, actor: str | None, last_id: int | None, limit: int
           ) -> tuple[list[ImportBatch], int | None]:
    rows, next_id = after(session, _listed(actor).options(selectinload(ImportBatch.problems)),
                          ImportBatch.id, last_id, limit, newest_first=True)
    return [r for r, in rows], next_id


def batch(session: Session, batch_id: int) -> ImportBatch:
    found = session.get(ImportBatch, batch_id)
    if found is None:
        raise NotFound(f"There is no import batch {batch_id}.", kind="batch")
    return found


def problems(batch_row: ImportBatch) -> list[Problem]:
    """The stored errors of a refused batch (the first 1,000), as data."""
    return [e.as_problem(batch_row.kind) for e in batch_row.problems]
