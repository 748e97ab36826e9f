"""What the tree, the consumers and the services were when a month closed.

A closed month is read from what its close froze, never from today's tables: a consumer
moved under another unit, a unit renamed or a service renamed later leaves the month as
finance booked it. Each row keeps the id it was taken from (for joins with the month's
charges and journal) and the codes and names people read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, MONEY, PERIOD, PRICE, QUANTITY, Base
from chargeback.models.types import ExactDecimal


class UnitTreeSnapshot(Base):
    """A unit as it stood when a period closed, so history keeps its shape after a move."""

    __tablename__ = "unit_tree_snapshots"
    __table_args__ = (UniqueConstraint("period", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_code: Mapped[str] = mapped_column(CODE)
    parent_code: Mapped[str | None] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(200))
    service_model_code: Mapped[str] = mapped_column(CODE)
    service_model_name: Mapped[str] = mapped_column(String(200))
    billing_mode: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class ConsumerSnapshot(Base):
    """A consumer as it stood at the close: its code, name, GL account and unit (if any)."""

    __tablename__ = "consumer_snapshots"
    __table_args__ = (UniqueConstraint("period", "consumer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"))
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(200))
    gl_account: Mapped[str] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(CODE)


class ServiceSnapshot(Base):
    """A service as it stood at the close, with the price in force for the month."""

    __tablename__ = "service_snapshots"
    __table_args__ = (UniqueConstraint("period", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    code: Mapped[str] = mapped_column(CODE)
    unit_code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(200))
    uom: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal | None] = mapped_column(PRICE)
    price_from: Mapped[str | None] = mapped_column(PERIOD)
    owner_email: Mapped[str | None] = mapped_column(String(254))


class OfferingSnapshot(Base):
    """An offering and one of its service level targets as they stood at the close (the
    target's columns empty for an offering without targets): the catalog page of a closed
    month reads these, so a later change of an offering or a target leaves it alone."""

    __tablename__ = "offering_snapshots"
    __table_args__ = (Index("ix_offering_snapshots_period_service", "period", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    offering: Mapped[str] = mapped_column(CODE)
    offering_name: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str | None] = mapped_column(CODE)
    target: Mapped[Decimal | None] = mapped_column(QUANTITY)
    direction: Mapped[str | None] = mapped_column(String(8))


class PortfolioFigures(Base):
    """A unit's Portfolio figures as one close of a month left them, kept per revision.

    Later packs read their history from here: the prior month, the fiscal year to date
    and the trend use each month's figures as they stood when the reading month closed,
    and a revision's pack lists what differs from the revision before. A reopening
    replaces a month's results; these rows of its earlier closes stay.
    """

    __tablename__ = "portfolio_figures"
    __table_args__ = (UniqueConstraint("period", "revision", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    revision: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime]
    unit_code: Mapped[str] = mapped_column(CODE)
    parent_code: Mapped[str | None] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(200))
    is_group: Mapped[bool]
    service_model_code: Mapped[str] = mapped_column(CODE)
    spend: Mapped[Decimal] = mapped_column(MONEY)
    budget: Mapped[Decimal | None] = mapped_column(MONEY)
    charged: Mapped[Decimal] = mapped_column(MONEY)
    showback: Mapped[Decimal] = mapped_column(MONEY)
    attainment: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    band: Mapped[str] = mapped_column(String(8))


class ConsumerFigures(Base):
    """A consumer's billed and showback totals as one close of a month left them, per
    revision: the next month's statements read their prior totals from here, as they stood
    when that month closed (``queries.statements``)."""

    __tablename__ = "consumer_figures"
    __table_args__ = (UniqueConstraint("period", "revision", "consumer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    revision: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime]
    consumer_id: Mapped[int]  # consumers.id, as the month's charges and snapshots name it
    billed: Mapped[Decimal] = mapped_column(MONEY)
    showback: Mapped[Decimal] = mapped_column(MONEY)
