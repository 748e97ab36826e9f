"""Import batches: the list a user may see, and one batch with its row errors."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chargeback.models import ImportBatch
from chargeback.refusals import NotFound, Problem
from chargeback.services.queries.listing import (
    Filter,
    ListQuery,
    ListSpec,
    Sort,
    choices,
    select_page,
)
from chargeback.services.queries.sql import Page, after
from chargeback.vocabulary import BATCH_STATUSES, IMPORT_KINDS

LIST = ListSpec(
    sorts={"at": Sort("Imported at", (ImportBatch.id,)),
           "kind": Sort("Kind", (ImportBatch.kind,)),
           "file": Sort("File", (ImportBatch.filename,)),
           "status": Sort("Status", (ImportBatch.status,)),
           "rows": Sort("Rows", (ImportBatch.rows,)),
           "errors": Sort("Errors", (ImportBatch.error_count,)),
           "by": Sort("By", (ImportBatch.actor,))},
    default_sort="at", default_dir="desc",
    search=(ImportBatch.filename, ImportBatch.actor), search_label="File or person",
    filters={"kind": Filter("Kind", choices(IMPORT_KINDS), lambda v: ImportBatch.kind == v),
             "status": Filter("Status", choices(BATCH_STATUSES),
                              lambda v: ImportBatch.status == v)},
    tiebreak=(ImportBatch.id.desc(),))


def _listed(actor: str | None):
    query = select(ImportBatch)
    if actor is not None:
        query = query.where(ImportBatch.actor == actor)
    return query


def page(session: Session, actor: str | None, asked: ListQuery) -> Page:
    """Batches searched, filtered and sorted as asked (newest first unless asked
    otherwise: ids grow); ``actor`` keeps one person's own."""
    return select_page(session, LIST, _listed(actor), asked)


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
