"""GL actuals by cost pool, and budgets: what each unit spends and planned to spend."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, MONEY, PERIOD, Base
from chargeback.models.imports import ImportBatch
from chargeback.models.org import Unit
from chargeback.models.periods import Period


class SpendLine(Base):
    """One actual-spend line; lines add up, and may be negative (credits, corrections).

    No foreign keys, as usage lines (``models.usage.UsageLine``): the import resolves the
    codes, and a trigger on each referenced table refuses a delete. Join explicitly.
    """

    __tablename__ = "spend_lines"
    __table_args__ = (Index("ix_spend_lines_period_unit", "period", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(index=True)  # import_batches.id
    period: Mapped[str] = mapped_column(PERIOD)  # periods.period
    unit_id: Mapped[int] = mapped_column()  # units.id
    cost_pool: Mapped[str] = mapped_column(CODE)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tower: Mapped[str | None] = mapped_column(CODE)
    account: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)


# Created after and dropped before what they name, as if they had the foreign keys.
for _named in (ImportBatch, Period, Unit):
    SpendLine.__table__.add_is_dependent_on(_named.__table__)


class Budget(Base):
    """The budget of a unit for a month; a later import replaces it."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
