"""One unit of work per request, in the style of Indico's request handler.

Views never commit: the request commits once at its end when the answer is a success
(below 400) and rolls back otherwise, whatever raised or returned it, so a refused form,
a 409 or a 500 leaves nothing half-saved. The one exception is an answer that refuses and
must keep a record of it: a refused import keeps its batch and row errors
(``keep_refused``). A request that may write (POST, PUT, PATCH, DELETE) starts its
transaction as a writer, so on SQLite it waits for another writer instead of failing with
"database is locked" half-way; on PostgreSQL it waits for a lock at most
``CHARGEBACK_LOCK_WAIT_SECONDS`` (a month's close holds some for minutes) and is then
answered 409 "try again", like a deadlock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from chargeback.db_setup import become_writer, done, limit_lock_waits
from chargeback.extensions import db
from chargeback.refusals import Refused

T = TypeVar("T")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def attempt(action: Callable[[], T]) -> tuple[T | None, Refused | None]:
    """Run one service call in a savepoint: (its result, None), or (None, the refusal) with
    all it did undone at once, so the page shown again has the state from before."""
    try:
        with db.session.begin_nested():
            return action(), None
    except Refused as exc:
        return None, exc


def keep_refused() -> None:
    """Commit this request's work although it answers with a refusal (its record stays)."""
    g.keep_refused = True


@event.listens_for(Session, "after_begin")
def _bounded_lock_waits(_session, _transaction, connection) -> None:
    """A writing request's transaction waits for locks only so long (see the docstring)."""
    if has_request_context() and g.get("lock_wait"):
        limit_lock_waits(connection, g.lock_wait)


def register(app: Flask) -> None:
    @app.before_request
    def begin():
        if request.method not in SAFE_METHODS:
            g.writer_token = become_writer()
            g.lock_wait = app.config.get("CHARGEBACK_LOCK_WAIT_SECONDS", 15)

    @app.after_request
    def commit_or_roll_back(response):
        if response.status_code < 400 or g.pop("keep_refused", False):
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def end(error):
        if error is not None:
            db.session.rollback()
        token = g.pop("writer_token", None)
        if token is not None:
            done(token)
