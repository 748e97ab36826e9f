"""What each service does with customer-introduced variability, and what a close froze.

``service_variability`` holds a unit's statements: for a service and one of Frei's five
kinds (``rules.variability``), whether it reduces or accommodates it, with a short note
saying how. A kind the unit has not stated is not stored: its service model's template
proposes it (``rules.variability.PROPOSALS``). ``variability_snapshots`` keeps, for a
closed month, the stance that held for every service and kind when the month closed
(stated or proposed, and which), so a later statement or a move to another service model
never changes how a closed month explains itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chargeback.models.base import CODE, Base, created_at_column, one_of
from rules.variability import KINDS, NOTE_LENGTH, SOURCES, STANCES

KIND_LENGTH = 32


class ServiceVariability(Base):
    """A unit's statement: its service reduces or accommodates one kind of variability."""

    __tablename__ = "service_variability"
    __table_args__ = (
        UniqueConstraint("service_id", "kind"),
        one_of("kind", KINDS),
        one_of("stance", STANCES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    stance: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    stated_by: Mapped[str] = mapped_column(String(254))
    stated_at: Mapped[dt.datetime] = created_at_column()


class VariabilitySnapshot(Base):
    """The stance that held for a service and kind when a month closed."""

    __tablename__ = "variability_snapshots"
    __table_args__ = (
        UniqueConstraint("period", "service_id", "kind"),
        one_of("kind", KINDS),
        one_of("stance", STANCES),
        one_of("source", SOURCES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_code: Mapped[str] = mapped_column(CODE)
    unit_code: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    stance: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    source: Mapped[str] = mapped_column(String(16))
