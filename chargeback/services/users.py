"""People: create them with a role and unit scopes, check passwords, change them.

Passwords are hashed with Werkzeug's scrypt; a new password may be generated, in which case
the caller shows it once and it is never stored in clear. Every password, typed or
generated, passes ``passwords.problems`` (at least 12 characters, not guessable).

What ends a user's sessions and tokens (``sessions``, ``tokens``): a new password set by
an admin or through a reset link ends every session and revokes every token; a password
changed by its owner ends every other session and revokes every token; a role change and
a deactivation end every session and revoke every token (reactivating revives neither).
"""

from __future__ import annotations

import re
import secrets
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from chargeback.models import Unit, User
from chargeback.models.audit import record
from chargeback.refusals import Refused
from chargeback.services import passwords, sessions, sign_in, tokens
from chargeback.vocabulary import ROLES

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = passwords.MIN_LENGTH


class UserRefused(Refused):
    """The request breaks a rule (role, e-mail, password, unit scope)."""

    def __init__(self, message: str):
        super().__init__(message, kind="user")


def generate_password(email: str = "") -> str:
    """A random password (96 bits) that the rules accept."""
    while True:
        password = secrets.token_urlsafe(12)
        if not passwords.problems(password, email):
            return password


DEFAULT_HASH = "scrypt"
"""Werkzeug's scrypt; a deployment (``CHARGEBACK_PASSWORD_HASH``) may tune its cost."""


def _hash(password: str, method: str, email: str = "") -> str:
    found = passwords.problems(password, email)
    if found:
        raise UserRefused(found[0])
    return generate_password_hash(password, method=method)


def _units(session: Session, codes: list[str]) -> list[Unit]:
    units = list(session.scalars(select(Unit).where(Unit.code.in_(codes)))) if codes else []
    missing = sorted(set(codes) - {u.code for u in units})
    if missing:
        raise UserRefused(f"unknown unit(s): {', '.join(missing)}")
    return units


def create_user(session: Session, email: str, role: str, password: str, actor: str,
                unit_codes: list[str] | None = None, *, hash_method: str = DEFAULT_HASH
                ) -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise UserRefused(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise UserRefused(f"unknown role '{role}' (roles: {', '.join(ROLES)})")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise UserRefused(f"a user {email} already exists")
    units = _units(session, unit_codes or [])
    if role == "unit_head" and not units:
        raise UserRefused("a unit head needs at least one unit in their scope")
    user = User(email=email, role=role, password_hash=_hash(password, hash_method, email),
                units=units)
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", email,
           after={"role": role, "units": [u.code for u in units]})
    return user


def update_user(session: Session, user: User, actor: str, *, role: str | None = None,
                unit_codes: list[str] | None = None, active: bool | None = None) -> User:
    before = {"role": user.role, "units": [u.code for u in user.units], "active": user.active}
    if role is not None:
        if role not in ROLES:
            raise UserRefused(f"unknown role '{role}'")
        user.role = role
    if unit_codes is not None:
        user.units = _units(session, unit_codes)
    if active is not None:
        user.active = active
    if user.role == "unit_head" and not user.units:
        raise UserRefused("a unit head needs at least one unit")
    after = {"role": user.role, "units": [u.code for u in user.units], "active": user.active}
    record(session, actor, "user.update", "user", user.email, before=before, after=after)
    session.flush()
    if after["role"] != before["role"] or (before["active"] and not after["active"]):
        why = "role changed" if after["role"] != before["role"] else "user deactivated"
        end_everything(session, user, actor, why)
    return user


def end_everything(session: Session, user: User, actor: str, reason: str,
                   keep_session: str | None = None) -> None:
    """End every session of ``user`` (but ``keep_session``) and revoke every token."""
    sessions.end_all(session, user, keep=keep_session)
    tokens.revoke_all(session, user, actor, reason)


def set_password(session: Session, user: User, password: str, actor: str, *,
                 hash_method: str = DEFAULT_HASH, keep_session: str | None = None,
                 reason: str = "password set") -> None:
    """A new password (by an admin, a reset link, or its owner keeping ``keep_session``):
    every other session ends and every token is revoked."""
    user.password_hash = _hash(password, hash_method, user.email)
    record(session, actor, "user.password", "user", user.email, reason=reason)
    session.flush()
    end_everything(session, user, actor, reason, keep_session)
    sign_in.lift(session, user.email)  # a new password lifts the soft lock


def change_own_password(session: Session, user: User, current: str, new: str, *,
                        keep_session: str | None, hash_method: str = DEFAULT_HASH) -> None:
    """The owner changes their password: the current one first. This browser stays signed
    in; every other session ends and every token is revoked."""
    if not check_password_hash(user.password_hash, current or ""):
        raise UserRefused("the current password is not right")
    if check_password_hash(user.password_hash, new or ""):
        raise UserRefused("the new password is the current one: choose another")
    set_password(session, user, new, user.email, hash_method=hash_method,
                 keep_session=keep_session, reason="changed by its owner")


def reset_password(session: Session, user: User, new: str, *,
                   hash_method: str = DEFAULT_HASH) -> None:
    """A reset link was used: the new password, every session and token ended, and the
    soft lock of failed sign-ins lifted (the owner proved they read the account's mail)."""
    set_password(session, user, new, user.email, hash_method=hash_method,
                 reason="reset by e-mail link")


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password or "")


def authenticate(session: Session, email: str, password: str, *,
                 hash_method: str = DEFAULT_HASH) -> User | None:
    """The active user with that e-mail and password, else None (same answer either way)."""
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip()
                                             .lower()))
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password or "")  # same time, user or not
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)
