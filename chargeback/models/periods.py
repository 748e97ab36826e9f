"""Accounting months and the pack files written for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from chargeback.models.base import PERIOD, Base, created_at_column, one_of, period_check
from chargeback.vocabulary import (
    FROZEN_STATUSES,
    IMPORT_KINDS,
    PACK_KINDS,
    PERIOD_OPEN,
    PERIOD_STATUSES,
)


class Period(Base):
    """A month. Closing it freezes every figure of that month; reopening is audited."""

    __tablename__ = "periods"
    __table_args__ = (period_check("period"), one_of("status", PERIOD_STATUSES))

    period: Mapped[str] = mapped_column(PERIOD, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[dt.datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(254))
    # How many times the period has been closed; the pack of close n>1 is "-r<n>".
    close_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the close froze the figures (the pack's "Generated at"); ``closed_at`` is when
    # its pack was published, which is when the month counts as closed.
    computed_at: Mapped[dt.datetime | None]
    # The holding-wide settings the close used, so a later change of them leaves the
    # closed month (its group bands, its pack written again) as it was.
    currency: Mapped[str | None] = mapped_column(String(3))
    band_limits: Mapped[dict | None]
    # The fiscal year's first month (1-12) the close used for year-to-date figures.
    fiscal_year_start: Mapped[int | None] = mapped_column(Integer)


class PackFile(Base):
    """A workbook written for a period; earlier revisions stay where finance received them."""

    __tablename__ = "pack_files"
    __table_args__ = (
        UniqueConstraint("period", "kind", "revision"),
        one_of("kind", PACK_KINDS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="final")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()
    # Set when the file is in place under its own name: a final pack without it is a
    # publication the close began and did not finish (the next run finishes or undoes it).
    published_at: Mapped[dt.datetime | None]


# --- the month locks every "is this month open?" check is made under ---------------------
#
# A month is frozen once its close commits (``publishing``, then ``closed``). A writer that
# checks a month's status holds the month's row lock from the check until it commits
# (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite has one writer at a time, from ``BEGIN
# IMMEDIATE``), and the close holds the same lock while it freezes the month: an import, a
# new rate or an approval lands before the close reads the month, or sees it frozen.


REFERENCE_LOCK = 0x5EED
"""The advisory lock of the data every close reads whole (units, consumers, services, rates,
scorecards, rule sets): writers share it, a close's freeze holds it alone."""


def _advisory_lock(session: Session, key: int, *, shared: bool = False) -> None:
    """A PostgreSQL transaction-level advisory lock (released at commit or rollback);
    nothing on SQLite, where a writer holds the whole database already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    take = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
    session.execute(select(take(key)))


def lock_reference(session: Session, *, exclusive: bool = False) -> None:
    """Take the reference lock until the transaction ends: shared by a writer of units,
    consumers, services, rates, scorecards or rules, exclusive for a close, so a close reads
    one consistent state of them (and a month that does not exist yet when a price or a
    scorecard is checked cannot be created and closed meanwhile)."""
    _advisory_lock(session, REFERENCE_LOCK, shared=not exclusive)


IMPORT_LOCK = 0x1A7B0000
"""Base of the advisory locks that make the batches of one import kind take turns."""

RULES_LOCK = 0x2B7E
"""The advisory lock that makes rule-set saves take turns (see ``lock_rules``)."""


def lock_import_kind(session: Session, kind: str) -> None:
    """Hold the lock of one import kind until the transaction ends: two batches of budgets
    (or consumers, ...) that name the same new key would otherwise both insert it. Batches
    of different kinds still run side by side."""
    _advisory_lock(session, IMPORT_LOCK + IMPORT_KINDS.index(kind))


def lock_rules(session: Session) -> None:
    """Rule sets are saved one at a time: whether internal charges go round in a circle
    depends on every unit's rules at once, so two saves checked side by side could each
    pass and together close a circle."""
    _advisory_lock(session, RULES_LOCK)


def lock_period(session: Session, period: str) -> Period | None:
    """The month's row, locked until the transaction ends, read fresh under the lock."""
    return session.scalar(select(Period).where(Period.period == period)
                          .with_for_update().execution_options(populate_existing=True))


def lock_months(session: Session, periods: set[str]) -> dict[str, str]:
    """Create the months that do not exist yet (open), lock them all, and return their
    statuses as they are now that this transaction holds them."""
    if not periods:
        return {}
    rows = [{"period": p, "status": PERIOD_OPEN, "close_count": 0} for p in sorted(periods)]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(pg_insert(Period).on_conflict_do_nothing(), rows)
    else:
        session.execute(insert(Period).prefix_with("OR IGNORE"), rows)
    found = session.execute(select(Period.period, Period.status)
                            .where(Period.period.in_(sorted(periods)))
                            .order_by(Period.period).with_for_update())
    return dict(found.all())


def latest_frozen(session: Session) -> str | None:
    """The latest month nothing may change any more (closed, or being published)."""
    return session.scalar(select(Period.period).where(Period.status.in_(FROZEN_STATUSES))
                          .order_by(Period.period.desc()).limit(1))


def lock_from(session: Session, start: str) -> str | None:
    """Lock every month from ``start`` on and return the latest frozen month, read then.

    A price, a scorecard or a rule set in force from ``start`` changes every month from
    ``start`` on; holding those months (and the shared reference lock, for the months that
    do not exist yet) while checking keeps a close of one of them from slipping in between
    the check and the commit.
    """
    lock_reference(session)
    session.execute(select(Period.period).where(Period.period >= start)
                    .order_by(Period.period).with_for_update())
    return latest_frozen(session)
