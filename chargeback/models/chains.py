"""Service chains: which other units' services a service depends on, and what each close
froze of them.

A lab's HPC service runs on the data center's compute: the data center charges the lab for
compute (an internal charge, see the cascade in ``allocation.md``) and the lab passes that
cost on through its own service. A dependency says which upstream service stands behind a
downstream one, so a consumer-facing cost or failure can be traced to its source. It is
reference data (imported, kind ``dependencies``), and like the tree, the consumers and the
services it is frozen at each close: a dependency added or removed later leaves a closed
month's chain as it was.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, Base


class ServiceDependency(Base):
    """``service`` depends on ``upstream``, a service of another unit (no cycles: checked
    by the import, as the close checks internal charges)."""

    __tablename__ = "service_dependencies"
    __table_args__ = (UniqueConstraint("service_id", "upstream_id"),
                      CheckConstraint("service_id <> upstream_id", name="not_itself"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    upstream_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)


class ServiceDependencySnapshot(Base):
    """A dependency as it stood when a month closed; the ids join the month's service
    snapshots and charges, the codes are those of the close."""

    __tablename__ = "service_dependency_snapshots"
    __table_args__ = (UniqueConstraint("period", "service_id", "upstream_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"), index=True)
    service_id: Mapped[int]  # services.id, as the month's service snapshot names it
    upstream_id: Mapped[int]
    service_code: Mapped[str] = mapped_column(CODE)
    upstream_code: Mapped[str] = mapped_column(CODE)
