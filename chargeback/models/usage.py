"""What consumers used, the drivers that share costs, and the metrics units observe."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, PERIOD, QUANTITY, Base
from chargeback.models.catalog import Service
from chargeback.models.imports import ImportBatch
from chargeback.models.org import Consumer
from chargeback.models.periods import Period


class UsageLine(Base):
    """Quantity of a service used by a consumer in a month; lines add up.

    A month has millions of them, so they keep no foreign keys (a per-row check on every
    insert): the import resolves each code to a stored row in its own transaction and holds
    those rows until it commits, and a trigger on each referenced table refuses to delete a
    row lines still name (migration 0010, docs/imports.md "Bulk path"). Join explicitly.
    Nothing reads them by batch, so ``batch_id`` has no index either (a third of an
    insert's index work); a month's lines are found by ``ix_usage_lines_month_totals``.
    """

    __tablename__ = "usage_lines"
    # Covers the close's sums per consumer and service (read from the index alone) and
    # every lookup by month and service.
    __table_args__ = (Index("ix_usage_lines_month_totals", "period", "service_id",
                            "consumer_id", "quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column()  # import_batches.id
    period: Mapped[str] = mapped_column(PERIOD)  # periods.period
    consumer_id: Mapped[int] = mapped_column()  # consumers.id
    service_id: Mapped[int] = mapped_column()  # services.id
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


# Created after and dropped before what they name, as if they had the foreign keys.
for _named in (ImportBatch, Period, Consumer, Service):
    UsageLine.__table__.add_is_dependent_on(_named.__table__)


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
