"""What consumers used, the drivers that share costs, and the metrics units observe."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint
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
    insert's index work); a month's lines are found by ``ix_usage_lines_period_service``.
    The close never reads them: it reads their sums, kept in ``UsageTotal``.
    """

    __tablename__ = "usage_lines"
    # A month's lines, a unit's lines in a month (--replace, drill-down by unit).
    __table_args__ = (Index("ix_usage_lines_period_service", "period", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column()  # import_batches.id
    period: Mapped[str] = mapped_column(PERIOD)  # periods.period
    consumer_id: Mapped[int] = mapped_column()  # consumers.id
    service_id: Mapped[int] = mapped_column()  # services.id
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)


class UsageTotal(Base):
    """The sum of a month's usage lines of one consumer and service, and how many there are.

    Kept by whatever writes or deletes usage lines, in the same transaction and set-based
    (``importing.totals``): an import adds each batch's sums with an upsert (``ON CONFLICT
    ... DO UPDATE``, so two imports at once both count), ``--replace`` takes away what it
    deletes, and a total whose lines are all gone goes too. The close rates usage from
    these rows (a few thousand a month) instead of grouping millions of lines.

    The quantity is kept in millionths as an integer (a quantity has six decimals): sums
    added by upserts stay exact on SQLite too, whose numbers are doubles. No foreign keys,
    as the lines: a total exists only while lines of it do, and their triggers keep what
    they name.
    """

    __tablename__ = "usage_totals"

    period: Mapped[str] = mapped_column(PERIOD, primary_key=True)  # periods.period
    service_id: Mapped[int] = mapped_column(primary_key=True)  # services.id
    consumer_id: Mapped[int] = mapped_column(primary_key=True)  # consumers.id
    quantity_micros: Mapped[int] = mapped_column(BigInteger)  # sum(quantity) * 1,000,000
    lines: Mapped[int] = mapped_column(BigInteger)


# Created after and dropped before what they name, as if they had the foreign keys.
for _lines in (UsageLine, UsageTotal):
    for _named in (ImportBatch, Period, Consumer, Service):
        if _named is not ImportBatch or _lines is UsageLine:
            _lines.__table__.add_is_dependent_on(_named.__table__)


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
