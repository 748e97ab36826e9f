"""Personal API tokens: made once, shown once, stored as a hash, revocable.

A token is ``cb_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 hex digest
is kept (``ApiToken.token_hash``): the digest of a random 256-bit secret needs no salt or
slow hash, and looking it up by digest means no token is ever compared character by
character. A token carries no role of its own: the API answers with its owner's role and
unit scope as they are at the time of the request, so a changed role or a deactivated
user takes effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import ApiToken, User
from chargeback.models.audit import record
from chargeback.refusals import Refused

PREFIX = "cb_"
NAME_LIMIT = 100
# last_used_at is written at most this often per token, so reads do not all become writes.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenRefused(Refused):
    """A request the rules do not allow (an empty or too long name, a foreign token)."""

    def __init__(self, message: str):
        super().__init__(message, kind="token", warnings=())


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise TokenRefused("give the token a name, e.g. the script or system that uses it")
    if len(text) > NAME_LIMIT:
        raise TokenRefused(f"a token name has at most {NAME_LIMIT} characters")
    if not text.isprintable():
        raise TokenRefused("a token name has printable characters only")
    return text


def create(session: Session, user: User, name: str | None, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the plaintext the caller shows once."""
    label = _clean_name(name)
    if not user.active:
        raise TokenRefused(f"{user.email} is deactivated: a deactivated user gets no token")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=label, token_hash=digest(plaintext))
    session.add(token)
    session.flush()
    record(session, actor, "token.create", "api_token", _key(user, token),
           after={"name": label, "role": user.role})
    return token, plaintext


def revoke(session: Session, token: ApiToken, actor: str) -> ApiToken:
    """Stop a token from working; revoking a revoked token changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = _now()
        owner = session.get(User, token.user_id)
        record(session, actor, "token.revoke", "api_token", _key(owner, token),
               before={"revoked": False}, after={"revoked": True})
        session.flush()
    return token


def owned(session: Session, user: User, token_id: int) -> ApiToken | None:
    """The user's own token with that id (None for another user's or an unknown id)."""
    token = session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, working ones first, newest first."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def authenticate(session: Session, plaintext: str | None) -> tuple[User, ApiToken] | None:
    """The active owner of a working token, and the token; None for anything else.

    Marks the token used (at most once a minute); the caller commits.
    """
    if not plaintext or not plaintext.startswith(PREFIX) or len(plaintext) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    if last is None or _now() - last >= TOUCH_EVERY:
        token.last_used_at = _now()
        session.flush()
    return user, token


def _key(user: User | None, token: ApiToken) -> str:
    return f"{user.email if user else token.user_id} token {token.id} ({token.name})"
