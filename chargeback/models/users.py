"""People, their role, the units they may see, and their API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import Base, created_at_column, one_of
from chargeback.models.org import Unit
from chargeback.vocabulary import ROLES

user_unit_scopes = Table(
    "user_unit_scopes",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    # Two-step sign-in (TOTP): the secret is set when the user starts setting it up and
    # counts once they confirmed a code from their app (``totp_enabled``); the last time
    # step accepted is kept so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    units: Mapped[list[Unit]] = relationship(secondary=user_unit_scopes)

    # What Flask-Login asks of a user object (kept here so models need no Flask import).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class ApiToken(Base):
    """A personal token, stored as a hash; it carries its owner's role and scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its SHA-256. Signing
    out deletes the row, so a cookie copied before is worth nothing; so do a password
    change, a reset, a role change and a deactivation for every row of the user."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(64))


class SignInThrottle(Base):
    """Failed sign-ins, counted in the database so every worker sees the same counts.

    One row per (e-mail, client): ``client`` is ``address:<ip>`` or ``device:<id>`` (a
    browser that signed in to that account before), ``untrusted`` for the account's
    failures from clients it does not know (the soft lock), and ``e-mail`` is empty for an
    address's failures across accounts. Rows are read and written under a row lock."""

    __tablename__ = "sign_in_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    client: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    next_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
