"""Column types and stored-value helpers: decimals kept at full precision on every database,
timestamps read back in UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator):
    """Stores a Decimal as its exact text, so 80.8333... survives SQLite's float affinity."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal takes a Decimal, not {type(value).__name__}")
        return str(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp in UTC with its zone: SQLite hands timestamps back without their
    zone (they are stored in UTC), PostgreSQL in the session's zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
