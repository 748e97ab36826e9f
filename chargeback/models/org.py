"""The holding company's tree of units, their service models, and the consumers they charge."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import CODE, Base, one_of
from rules.vocabulary import BILLING_MODES

BUILTIN_SERVICE_MODELS = {
    "operational_excellence": "Operational excellence: low cost, sameness, reliability",
    "product_leadership": "Product leadership: new capability, fast",
    "customer_intimacy": "Customer intimacy: tailored service",
    "venture": "Venture: funded to learn and build, judged on milestones and runway",
}


class ServiceModel(Base):
    """A value discipline; each rates its units by a different yardstick."""

    __tablename__ = "service_models"

    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Starter scorecard for units of this model (scorecard JSON), for models the holding adds.
    template: Mapped[dict | None] = mapped_column(default=None)


class Unit(Base):
    """A node of the tree: the root is central IT, inner nodes are groups, leaves embedded units."""

    __tablename__ = "units"
    __table_args__ = (one_of("billing_mode", BILLING_MODES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    service_model_code: Mapped[str] = mapped_column(ForeignKey("service_models.code"))
    billing_mode: Mapped[str] = mapped_column(String(16), default="chargeback")
    recovery_account: Mapped[str | None] = mapped_column(String(64))
    head_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    service_model: Mapped[ServiceModel] = relationship()


class Consumer(Base):
    """A cost center that receives charges; ``unit`` is set when the consumer is itself a unit."""

    __tablename__ = "consumers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    gl_account: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    unit: Mapped[Unit | None] = relationship()
