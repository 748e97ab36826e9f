"""The services units offer, the prices (rate cards) they charge for them, and their
catalog: each service's owner, its offerings (packages at different levels, e.g. HPC
``standard`` and ``priority``), the service level targets of each offering, and the
service level results measured each month (docs/catalog.md)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import CODE, PERIOD, PRICE, QUANTITY, Base, one_of, period_check
from chargeback.models.org import Unit
from rules.vocabulary import DIRECTIONS


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uom: Mapped[str] = mapped_column(String(64))
    # The person accountable for the service (ITIL's service owner): a user, by e-mail.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()


class RateCard(Base):
    """A price from a month on; the one in force for P is the latest with effective_from <= P."""

    __tablename__ = "rate_cards"
    __table_args__ = (
        UniqueConstraint("service_id", "effective_from"),
        period_check("effective_from"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    effective_from: Mapped[str] = mapped_column(PERIOD)
    price: Mapped[Decimal] = mapped_column(PRICE)


class Offering(Base):
    """A package of a service at one level (``standard``, ``priority``): its code is a
    name (lower-case letters, digits, ``_``), so ``sla.SERVICE.OFFERING.measure`` reads
    unambiguously in a criterion."""

    __tablename__ = "offerings"
    __table_args__ = (UniqueConstraint("service_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(200))


class SlaTarget(Base):
    """A service level an offering promises: a named measure (availability, response),
    its target value, and whether higher or lower is better."""

    __tablename__ = "sla_targets"
    __table_args__ = (UniqueConstraint("offering_id", "measure"), one_of("direction", DIRECTIONS))

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"))
    measure: Mapped[str] = mapped_column(CODE)
    target: Mapped[Decimal] = mapped_column(QUANTITY)
    direction: Mapped[str] = mapped_column(String(8))


class SlaResult(Base):
    """A service level measured in a month, for one offering or (``offering`` empty) for
    the whole service. Imported like a metric: a frozen month refuses it, so a closed
    month's results never change."""

    __tablename__ = "sla_results"
    __table_args__ = (UniqueConstraint("service_id", "period", "offering", "measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    offering: Mapped[str] = mapped_column(CODE)  # an offering's code, or "" for the service
    measure: Mapped[str] = mapped_column(CODE)
    value: Mapped[Decimal] = mapped_column(QUANTITY)
