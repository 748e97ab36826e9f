"""Declarative base, the shared column types and the checks every table reuses.

Overview of the model (one module per concept):

- ``org``: the unit tree (holding company -> groups -> embedded IT units), service models,
  consumers (cost centers that receive charges; a consumer may be a unit).
- ``periods``: accounting months, open or closed; pack files written for them.
- ``ledger``: spend lines (GL actuals by cost pool) and budgets.
- ``catalog``: services a unit offers and their rate cards.
- ``chains``: which other units' services a service depends on, frozen at each close.
- ``usage``: usage of services, allocation drivers and observed metrics.
- ``scorecards``: versioned success criteria per unit, and allocation rule sets.
- ``results``: what a close computes: ratings, criterion results, charges, journal lines.
- ``imports``, ``runs``, ``audit``, ``users``, ``settings``: the bookkeeping around them.

Money is ``Numeric(18, 2)``, prices ``Numeric(18, 6)``, quantities ``Numeric(24, 6)``.
Invariants the database can hold are constraints here, not only checks in code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, DateTime, MetaData, Numeric, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MONEY = Numeric(18, 2)
PRICE = Numeric(18, 6)
QUANTITY = Numeric(24, 6)
PERIOD = String(7)
CODE = String(64)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={
            Decimal: MONEY,
            dt.datetime: DateTime(timezone=True),
            dict: JSON,
            list: JSON,
        },
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())


def period_check(column: str, name: str | None = None) -> CheckConstraint:
    """``YYYY-MM`` with a month 01..12, written so SQLite and PostgreSQL both enforce it."""
    return CheckConstraint(
        f"length({column}) = 7 AND substr({column}, 5, 1) = '-'"
        f" AND substr({column}, 1, 4) BETWEEN '1900' AND '2999'"
        f" AND substr({column}, 6, 2) BETWEEN '01' AND '12'",
        name=name or f"{column}_format",
    )


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_allowed")
