"""The services units offer and the prices (rate cards) they charge for them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import CODE, PERIOD, PRICE, Base, period_check
from chargeback.models.org import Unit


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uom: Mapped[str] = mapped_column(String(64))

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
