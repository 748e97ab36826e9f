""""Forgot password": a link that works once, for a limited time, sent by mail.

The link carries a token signed with the app's secret key (itsdangerous, salted for this
use only) holding the user's id and a fingerprint of their password hash, and the time
it was made. It is refused once it is older than ``CHARGEBACK_RESET_LINK_MINUTES``, and
once the password changed (a used link set a new password, so its fingerprint no longer
matches: a link works once, and a link made before any later password change is dead),
and for a deactivated user. The link is built on ``CHARGEBACK_BASE_URL``, never on the
request's Host header (which whoever asks for the mail could choose).

Asking for a link answers the same whether the address is a user's or not; at most one
mail per account every ``RESEND_EVERY`` (``sign_in.may_send_reset``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from chargeback.models import User
from chargeback.models.audit import record
from chargeback.services import notify, sign_in
from chargeback.services.queries import people

SALT = "chargeback.password-reset"
RESEND_EVERY = dt.timedelta(minutes=2)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def make_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"u": user.id, "p": _fingerprint(user)})


def user_for(session: Session, token: str, secret_key: str, max_age: dt.timedelta
             ) -> User | None:
    """The active user the link is for while it still works, else None."""
    if not token or len(token) > 500:
        return None
    try:
        data = _serializer(secret_key).loads(token, max_age=int(max_age.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
            or not isinstance(data.get("p"), str) or not 1 <= data["u"] <= 2**31 - 1:
        return None
    user = session.get(User, data["u"])
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(data["p"], _fingerprint(user)) else None


def request_link(session: Session, email: str, config: dict) -> int:
    """Mail a reset link to ``email`` if it is an active user's (and no link went to it
    in the last minutes); how many mails went (0 or 1). The caller answers the same
    either way."""
    user = people.by_email(session, email or "")
    if user is None or not user.active or not config.get("CHARGEBACK_SMTP_HOST"):
        return 0
    if not sign_in.may_send_reset(session, user.email, RESEND_EVERY):
        return 0
    minutes = config.get("CHARGEBACK_RESET_LINK_MINUTES", 60)
    link = (f"{config['CHARGEBACK_BASE_URL'].rstrip('/')}/reset/"
            f"{make_token(user, config['SECRET_KEY'])}")
    sent = notify.send(config, [user.email], "Chargeback: set a new password", (
        "Somebody (you, we hope) asked for a new password for this address on the "
        "chargeback platform.\n\n"
        f"Set it here within {minutes} minutes; the link works once:\n{link}\n\n"
        "Setting a new password also signs you out everywhere, revokes your API tokens and "
        "lifts a lock that failed sign-ins put on your account.\n"
        "If you did not ask, ignore this mail: your password stays as it is.\n"))
    record(session, "system", "user.reset_link", "user", user.email,
           after={"sent": bool(sent)})
    return sent
