"""The optional second step of signing in: a TOTP code from an authenticator app (pyotp).

A user sets it up on their profile page: a new secret (160 bits) is stored, shown as a QR
code and as text, and counts once they typed a code from their app (``confirm``). From
then on a sign-in asks for a code after the password. A code is accepted for its 30 s step
and one step either side (clock drift), and only once: the step accepted last is kept,
and it is taken with a conditional update, so the same code sent twice at once passes
once.

An admin may require it for admins and central IT (the setting ``totp_required``): such
a user without it is signed in only to set it up, and cannot turn it off. An admin may
remove a user's second step (a lost phone); the user sets it up again.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from chargeback.models import Setting, User
from chargeback.models.audit import record
from chargeback.refusals import Refused

REQUIRED_KEY = "totp_required"
REQUIRED_ROLES = ("admin", "central_it")
ISSUER = "Chargeback"


class TwoFactorRefused(Refused):
    def __init__(self, message: str):
        super().__init__(message, kind="user")


def required(session: Session) -> bool:
    row = session.get(Setting, REQUIRED_KEY)
    return row is not None and row.value == "1"


def set_required(session: Session, value: bool, actor: str) -> None:
    before = required(session)
    row = session.get(Setting, REQUIRED_KEY)
    if row is None:
        session.add(Setting(key=REQUIRED_KEY, value="1" if value else "0"))
    else:
        row.value = "1" if value else "0"
    record(session, actor, "settings.totp_required", "setting", REQUIRED_KEY,
           before={"required": before}, after={"required": value})
    session.flush()


def required_for(session: Session, user: User) -> bool:
    return user.role in REQUIRED_ROLES and required(session)


def must_set_up(session: Session, user: User) -> bool:
    """Signed in with a password only, but their role requires the second step."""
    return not user.totp_enabled and required_for(session, user)


def start_setup(session: Session, user: User) -> str:
    """A new secret for ``user`` (not yet in force); returns it."""
    if user.totp_enabled:
        raise TwoFactorRefused("two-step sign-in is already on: turn it off first")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    code = (code or "").replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _take_step(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) was: atomic, so once only."""
    taken = session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    session.flush()
    session.refresh(user)
    return taken == 1


def confirm(session: Session, user: User, code: str, now: dt.datetime | None = None) -> bool:
    """Turn the second step on once a code of the new secret is right."""
    if user.totp_enabled or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now or dt.datetime.now(dt.UTC))
    if step is None or not _take_step(session, user, step):
        return False
    user.totp_enabled = True
    record(session, user.email, "user.totp_on", "user", user.email)
    session.flush()
    return True


def verify(session: Session, user: User, code: str, now: dt.datetime | None = None) -> bool:
    """Whether ``code`` is a right, unused code of the user's app."""
    if not user.totp_enabled or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now or dt.datetime.now(dt.UTC))
    return step is not None and _take_step(session, user, step)


def turn_off(session: Session, user: User, actor: str, *, by_admin: bool = False) -> None:
    """Remove the second step; its owner may not when their role requires it."""
    if not by_admin and required_for(session, user):
        raise TwoFactorRefused("two-step sign-in is required for your role: it stays on")
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    record(session, actor, "user.totp_off", "user", user.email)
    session.flush()
