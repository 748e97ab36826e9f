"""What a close computes and freezes: ratings, criterion results, charges, journal lines.

Attainment and scores are kept at full precision as decimal text (28 significant digits
do not fit a portable NUMERIC column); the pack and pages round them for display only.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import CODE, MONEY, PERIOD, PRICE, QUANTITY, Base, one_of
from chargeback.models.types import ExactDecimal
from rules.methods import METHOD_NAME_LENGTH
from rules.vocabulary import BANDS, CHARGE_METHODS

SPEND_DIMENSIONS = ("pool", "tower")


class Rating(Base):
    """A unit's attainment against its own scorecard version in force for the period."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("period", "unit_id"), one_of("band", BANDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    scorecard_version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"))
    # The version's number and start month, as the close read them.
    scorecard_version: Mapped[int] = mapped_column(Integer)
    scorecard_from: Mapped[str] = mapped_column(PERIOD)
    attainment: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    band: Mapped[str] = mapped_column(String(8))

    results: Mapped[list[CriterionResultRow]] = relationship(
        order_by="CriterionResultRow.position", cascade="all, delete-orphan"
    )


class CriterionResultRow(Base):
    """One criterion's value, score (or reason it was not rated) and explanation."""

    __tablename__ = "criterion_results"
    __table_args__ = (UniqueConstraint("rating_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(CODE)
    label: Mapped[str] = mapped_column(String(200))
    expr: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(METHOD_NAME_LENGTH))
    weight: Mapped[Decimal] = mapped_column(QUANTITY)
    target: Mapped[Decimal | None] = mapped_column(QUANTITY)
    floor: Mapped[Decimal | None] = mapped_column(QUANTITY)
    bands: Mapped[list | None]
    actual: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    note: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)


class Charge(Base):
    """One charge line from a providing unit to a consumer (showback lines included)."""

    __tablename__ = "charges"
    __table_args__ = (
        Index("ix_charges_period_unit", "period", "unit_id"),
        one_of("method", CHARGE_METHODS),
    )

    # No foreign keys: the close writes these lines in bulk with the ids it read under
    # the reference lock, and checks them set-based (closing.check_references).
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(PERIOD)
    unit_id: Mapped[int]
    consumer_id: Mapped[int]
    service_id: Mapped[int | None]
    method: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    rate: Mapped[Decimal | None] = mapped_column(PRICE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # A rule's line: its cost pool, and its driver (driver rules) or percent (fixed rules).
    pool: Mapped[str | None] = mapped_column(CODE)
    driver: Mapped[str | None] = mapped_column(CODE)
    percent: Mapped[Decimal | None] = mapped_column(QUANTITY)


class UnitPeriodResult(Base):
    """A unit's money for a closed period: spend, internal received, charged, absorbed."""

    __tablename__ = "unit_period_results"
    __table_args__ = (UniqueConstraint("period", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    spend: Mapped[Decimal] = mapped_column(MONEY)
    internal_received: Mapped[Decimal] = mapped_column(MONEY)
    budget: Mapped[Decimal | None] = mapped_column(MONEY)
    charged: Mapped[Decimal] = mapped_column(MONEY)
    # The part of ``charged`` that went to consumers which are not units (business cost
    # centers): what the holding company recovers, as opposed to what moves between units.
    charged_external: Mapped[Decimal] = mapped_column(MONEY)
    absorbed: Mapped[Decimal] = mapped_column(MONEY)
    # A venture's funding envelope as the close read it (rules/envelope.py): the fiscal
    # year's budgets summed, and its spend of the year up to this month. None: not a venture.
    envelope: Mapped[Decimal | None] = mapped_column(MONEY)
    envelope_spent: Mapped[Decimal | None] = mapped_column(MONEY)


class UnitPeriodSpend(Base):
    """A unit's external spend in a closed month by cost pool or by tower, as the close
    summed the month's spend lines."""

    __tablename__ = "unit_period_spend"
    __table_args__ = (UniqueConstraint("period", "unit_id", "dimension", "code"),
                      one_of("dimension", SPEND_DIMENSIONS))

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    dimension: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(CODE)
    amount: Mapped[Decimal] = mapped_column(MONEY)


class InternalCharge(Base):
    """What one unit charged another in a closed month, summed (roll-ups eliminate these)."""

    __tablename__ = "internal_charges"
    __table_args__ = (UniqueConstraint("period", "provider_id", "receiver_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)


class JournalLine(Base):
    """A GL line; debit and credit in their own columns, never negative."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0", name="debit_not_negative"),
        CheckConstraint("credit >= 0", name="credit_not_negative"),
        Index("ix_journal_lines_period_unit", "period", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    journal: Mapped[str] = mapped_column(String(64))
    # No foreign keys, as on charges (above).
    period: Mapped[str] = mapped_column(PERIOD)
    unit_id: Mapped[int]
    account: Mapped[str] = mapped_column(String(64))
    consumer_id: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text)
    debit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    credit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3))
