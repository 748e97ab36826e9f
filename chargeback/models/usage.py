"""What consumers used, the drivers that share costs, and the metrics units observe."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, QUANTITY, Base


class UsageLine(Base):
    """Quantity of a service used by a consumer in a month; lines add up."""

    __tablename__ = "usage_lines"
    # Covers the close's sums per consumer and service (read from the index alone) and
    # every lookup by month and service.
    __table_args__ = (Index("ix_usage_lines_month_totals", "period", "service_id",
                            "consumer_id", "quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class DriverQuantity(Base):
    """A consumer's share basis (headcount, floor space) in a month; one value per driver."""

    __tablename__ = "driver_quantities"
    __table_args__ = (UniqueConstraint("consumer_id", "period", "driver"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"))
    driver: Mapped[str] = mapped_column(CODE)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class MetricObservation(Base):
    """An observed measure (seats, availability, csat) of a unit in a month; one value each."""

    __tablename__ = "metric_observations"
    __table_args__ = (UniqueConstraint("unit_id", "period", "measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    measure: Mapped[str] = mapped_column(CODE)
    value: Mapped[Decimal] = mapped_column(QUANTITY)
