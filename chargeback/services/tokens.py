"""Personal API tokens: made once, shown once, stored as a hash, revocable.

A token is ``cb_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 hex digest
is kept (``ApiToken.token_hash``): the digest of a random 256-bit secret needs no salt or
slow hash, and looking it up by digest means no token is ever compared character by
character. A token carries no role of its own: the API answers with its owner's role and
unit scope as they are at the time of the request.

Every token expires: ``DEFAULT_DAYS`` (90, ``CHARGEBACK_TOKEN_DAYS``) after it is made
unless its maker chooses 1 to ``MAX_DAYS`` (365, ``CHARGEBACK_TOKEN_MAX_DAYS``) days. A
new password (changed, set by an admin or through a reset link), a role change and a
deactivation revoke every token of the user (``revoke_all``): reactivating a user does
not bring them back.
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
DEFAULT_DAYS = 90
MAX_DAYS = 365


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


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None \
        else value


def create(session: Session, user: User, name: str | None, actor: str, days: int | None = None,
           *, default_days: int = DEFAULT_DAYS, max_days: int = MAX_DAYS
           ) -> tuple[ApiToken, str]:
    """A new token for ``user``, working ``days`` days (else ``default_days``): the row,
    and the plaintext the caller shows once."""
    label = _clean_name(name)
    if not user.active:
        raise TokenRefused(f"{user.email} is deactivated: a deactivated user gets no token")
    days = default_days if days is None else days
    if not 1 <= days <= max_days:
        raise TokenRefused(f"a token works 1 to {max_days} days, not {days}")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    now = _now()
    token = ApiToken(user_id=user.id, name=label, token_hash=digest(plaintext),
                     created_at=now, expires_at=now + dt.timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, actor, "token.create", "api_token", _key(user, token),
           after={"name": label, "role": user.role, "days": days})
    return token, plaintext


def expired(token: ApiToken, now: dt.datetime | None = None) -> bool:
    return _aware(token.expires_at) <= (now or _now())


def revoke_all(session: Session, user: User, actor: str, reason: str) -> int:
    """Revoke every working token of ``user`` (a new password, role or deactivation)."""
    working = list(session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in working:
        token.revoked_at = _now()
        record(session, actor, "token.revoke", "api_token", _key(user, token),
               before={"revoked": False}, after={"revoked": True}, reason=reason)
    session.flush()
    return len(working)


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
    if token is None or token.revoked_at is not None or expired(token):
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    last = _aware(token.last_used_at)
    if last is None or _now() - last >= TOUCH_EVERY:
        token.last_used_at = _now()
        session.flush()
    return user, token


def _key(user: User | None, token: ApiToken) -> str:
    return f"{user.email if user else token.user_id} token {token.id} ({token.name})"
