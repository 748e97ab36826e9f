"""Failed sign-ins, counted in the database: every worker sees the same counts.

An attempt is counted *before* its password is checked (``claim``), under row locks held
until the request commits, and given back when the password was right (``forgive``): two
attempts at once cannot both slip through a count that allows one more. Three counts:

1. **the account from one client** (``address:<ip>``, or ``device:<id>`` for a browser
   that signed in to the account before and carries its signed device cookie): after
   ``free_failures`` failures each attempt waits longer, 1 s, 2 s, 4 s, ... up to
   ``max_delay``; an attempt before its time is answered 429 with ``Retry-After`` and its
   password is not checked. Failures older than ``window`` are forgotten.
2. **the account from clients it does not know** (no device cookie of it): after
   ``lock_failures`` failures the account is *soft-locked* for such clients for
   ``lock_for`` after the last one. Its owner's own browsers (device cookie) are never
   locked by it, whatever address a stranger fails from; from a new browser the owner
   lifts the lock with the "forgot password" link (``lift``), or waits.
3. **one address, whatever the account** (an address spraying passwords over many
   accounts): ``address_failures`` within ``window``, then 429 until the window ends.
   Browsers with a device cookie of the account are not counted here either.

The second step (a TOTP code) is counted on its own row per account (``TOTP_CLIENT``)
with the same growing delay.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chargeback.models import SignInThrottle

UNTRUSTED = "untrusted"
TOTP_CLIENT = "totp"
RESET_MAIL = "reset-mail"
ANY_ACCOUNT = ""


@dataclass(frozen=True)
class Policy:
    free_failures: int = 3
    max_delay: dt.timedelta = dt.timedelta(seconds=300)
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock_failures: int = 20
    lock_for: dt.timedelta = dt.timedelta(hours=24)
    address_failures: int = 100

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(
            free_failures=config.get("CHARGEBACK_SIGNIN_FREE_FAILURES", 3),
            max_delay=dt.timedelta(seconds=config.get("CHARGEBACK_SIGNIN_MAX_DELAY_SECONDS",
                                                      300)),
            window=dt.timedelta(minutes=config.get("CHARGEBACK_SIGNIN_WINDOW_MINUTES", 15)),
            lock_failures=config.get("CHARGEBACK_SIGNIN_LOCK_FAILURES", 20),
            lock_for=dt.timedelta(hours=config.get("CHARGEBACK_SIGNIN_LOCK_HOURS", 24)),
            address_failures=config.get("CHARGEBACK_SIGNIN_ADDRESS_FAILURES", 100))

    def delay(self, failures: int) -> dt.timedelta:
        """How long the next attempt waits after ``failures`` failures in a row."""
        if failures < self.free_failures:
            return dt.timedelta(0)
        steps = failures - self.free_failures
        if steps > 30:
            return self.max_delay
        return min(dt.timedelta(seconds=2 ** steps), self.max_delay)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was not even checked, and in how many seconds to try again."""

    retry_after: int
    locked: bool = False  # the soft lock: the reset link lifts it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def normal(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def client_key(address: str | None, device: str | None) -> str:
    return f"device:{device}"[:100] if device else f"address:{address or '?'}"[:100]


def _rows(session: Session, keys: list[tuple[str, str]], now: dt.datetime
          ) -> dict[tuple[str, str], SignInThrottle]:
    """The rows of ``keys``, made if missing, locked (in key order) until the commit."""
    keys = sorted(set(keys))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for email, client in keys:
        session.execute(insert(SignInThrottle).values(
            email=email, client=client, failures=0, first_at=now, last_at=now, next_at=now
        ).on_conflict_do_nothing())
    rows = session.scalars(
        select(SignInThrottle)
        .where(tuple_(SignInThrottle.email, SignInThrottle.client).in_(keys))
        .order_by(SignInThrottle.email, SignInThrottle.client)
        .with_for_update()
        .execution_options(populate_existing=True))
    return {(r.email, r.client): r for r in rows}


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def claim(session: Session, policy: Policy, email: str | None, client: str, *,
          trusted: bool, address: str | None, now: dt.datetime | None = None
          ) -> Refusal | None:
    """Count an attempt on the account ``email`` from ``client`` as a failure, or refuse
    it (nothing counted) when it comes too early or the account is soft-locked for
    untrusted clients. ``trusted``: the client is a browser of the account (device)."""
    now = now or _now()
    email = normal(email)
    mine = (email, client)
    keys = [mine]
    account = (email, UNTRUSTED)
    spread = (ANY_ACCOUNT, f"address:{address or '?'}"[:100])
    if not trusted:
        keys += [account, spread]
    rows = _rows(session, keys, now)

    row = rows[mine]
    if now - _aware(row.last_at) > policy.window:
        row.failures, row.first_at, row.next_at = 0, now, now
    if now < _aware(row.next_at):
        return Refusal(_seconds(_aware(row.next_at) - now))
    if not trusted:
        locked = rows[account]
        if now - _aware(locked.last_at) > policy.lock_for:
            locked.failures, locked.first_at = 0, now
        if locked.failures >= policy.lock_failures:
            return Refusal(_seconds(_aware(locked.last_at) + policy.lock_for - now), locked=True)
        wide = rows[spread]
        if now - _aware(wide.first_at) > policy.window:
            wide.failures, wide.first_at = 0, now
        if wide.failures >= policy.address_failures:
            return Refusal(_seconds(_aware(wide.first_at) + policy.window - now))
        locked.failures += 1
        locked.last_at = now
        wide.failures += 1
        wide.last_at = now
    row.failures += 1
    row.last_at = now
    row.next_at = now + policy.delay(row.failures)
    session.flush()
    return None


def forgive(session: Session, email: str | None, client: str, *, trusted: bool,
            address: str | None) -> None:
    """The password (or code) was right: give back what ``claim`` counted. The account's
    failures from this client are cleared, and from an untrusted client (a new browser)
    its count of failures from unknown browsers too (the password proved the owner)."""
    email = normal(email)
    session.execute(delete(SignInThrottle).where(
        SignInThrottle.email == email,
        SignInThrottle.client.in_([client] + ([] if trusted else [UNTRUSTED]))))
    if not trusted:
        wide = session.get(SignInThrottle, (ANY_ACCOUNT, f"address:{address or '?'}"[:100]))
        if wide is not None and wide.failures > 0:
            wide.failures -= 1
    session.flush()


def lift(session: Session, email: str | None) -> None:
    """The owner proved they read the account's mail (a reset link): every count of the
    account, the soft lock included, is cleared."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.email == normal(email)))
    session.flush()


def locked(session: Session, policy: Policy, email: str | None,
           now: dt.datetime | None = None) -> bool:
    """Whether the account is soft-locked for clients it does not know."""
    now = now or _now()
    row = session.get(SignInThrottle, (normal(email), UNTRUSTED))
    return (row is not None and row.failures >= policy.lock_failures
            and now - _aware(row.last_at) <= policy.lock_for)


def may_send_reset(session: Session, email: str | None, every: dt.timedelta,
                   now: dt.datetime | None = None) -> bool:
    """At most one reset mail per account every ``every``: counted like an attempt."""
    now = now or _now()
    row = _rows(session, [(normal(email), RESET_MAIL)], now)[(normal(email), RESET_MAIL)]
    if row.failures and now < _aware(row.next_at):
        return False
    row.failures += 1
    row.last_at = now
    row.next_at = now + every
    session.flush()
    return True
