"""Signed-in browsers, kept on the server so that they can be ended.

The session cookie is signed but lives in the browser: on its own it cannot be taken back.
So a sign-in also makes a ``UserSession`` row and puts a random id (256 bits) in the
cookie; only the id's SHA-256 is stored. A request whose cookie names no row, a row past
its lifetime (``CHARGEBACK_SESSION_HOURS``) or idle for too long
(``CHARGEBACK_SESSION_IDLE_MINUTES``), or a deactivated user, is signed out.

- signing out deletes the browser's row: a copy of the cookie is worth nothing after;
- "sign out everywhere", a password change by its owner: every other row of the user;
- a password set by an admin or by a reset link, a role change, a deactivation: every row
  (``users`` calls ``end_all``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from chargeback.models import User, UserSession

# last_seen_at is written at most this often per session, so pages do not all become writes
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Limits:
    lifetime: dt.timedelta = dt.timedelta(hours=12)
    idle: dt.timedelta = dt.timedelta(minutes=60)

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(lifetime=dt.timedelta(hours=config.get("CHARGEBACK_SESSION_HOURS", 12)),
                   idle=dt.timedelta(minutes=config.get("CHARGEBACK_SESSION_IDLE_MINUTES", 60)))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def start(session: Session, user: User, address: str | None) -> str:
    """A new session of ``user``: the id the cookie carries (never stored as such)."""
    plaintext = secrets.token_urlsafe(32)
    now = _now()
    session.add(UserSession(user_id=user.id, token_hash=digest(plaintext), created_at=now,
                            last_seen_at=now, address=(address or "")[:64] or None))
    session.flush()
    return plaintext


def user_of(session: Session, plaintext: str | None, user_id: int, limits: Limits
            ) -> User | None:
    """The active user whose working session ``plaintext`` is (and is ``user_id``'s), else
    None; an expired session's row is deleted. Marks the session seen (once a minute)."""
    if not plaintext or len(plaintext) > 100:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == digest(plaintext)))
    if row is None or row.user_id != user_id:
        return None
    now = _now()
    if (now - _aware(row.created_at) > limits.lifetime
            or now - _aware(row.last_seen_at) > limits.idle):
        session.delete(row)
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user


def end(session: Session, plaintext: str | None) -> None:
    """Sign this browser out on the server."""
    if plaintext:
        session.execute(delete(UserSession).where(UserSession.token_hash == digest(plaintext)))
        session.flush()


def end_all(session: Session, user: User, keep: str | None = None) -> int:
    """End every session of ``user`` but ``keep`` (a session id, or None for all); how many."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.token_hash != digest(keep))
    ended = session.execute(query).rowcount or 0
    session.flush()
    return ended


def count(session: Session, user: User) -> int:
    """How many sessions of ``user`` are on the server (expired ones included until used)."""
    return session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id))
