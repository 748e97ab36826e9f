"""Each unit's own definition of success, versioned, and its allocation rule sets.

A scorecard version moves draft -> submitted -> approved (or back to draft with a comment);
an approved version is retired when a later one with the same effective_from replaces it.
The version in force for P is the latest approved one with ``effective_from <= P``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chargeback.models.base import (
    CODE,
    PERIOD,
    QUANTITY,
    Base,
    created_at_column,
    one_of,
    period_check,
)
from chargeback.vocabulary import SCORECARD_STATUSES
from rules.methods import METHOD_NAME_LENGTH
from rules.vocabulary import DIRECTIONS


class ScorecardVersion(Base):
    __tablename__ = "scorecard_versions"
    __table_args__ = (
        UniqueConstraint("unit_id", "version"),
        period_check("effective_from"),
        one_of("status", SCORECARD_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    effective_from: Mapped[str] = mapped_column(PERIOD)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()
    submitted_at: Mapped[dt.datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(254))
    approved_at: Mapped[dt.datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    criteria: Mapped[list[CriterionDefinition]] = relationship(
        order_by="CriterionDefinition.position", cascade="all, delete-orphan"
    )


class CriterionDefinition(Base):
    """One criterion of a version, in the fields of the scorecard JSON."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        one_of("direction", DIRECTIONS),
        # No check of ``method``: the scoring-method registry (rules/methods.py) checks it
        # when a scorecard is stored, so a new method is one registry entry, no migration.
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(CODE)
    label: Mapped[str] = mapped_column(String(200))
    expr: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(METHOD_NAME_LENGTH))
    target: Mapped[Decimal | None] = mapped_column(QUANTITY)
    floor: Mapped[Decimal | None] = mapped_column(QUANTITY)
    # [{"at": "1.00", "score": "100"}, ...] with decimals as strings, never floats.
    bands: Mapped[list | None]
    weight: Mapped[Decimal] = mapped_column(QUANTITY)


class AllocationRuleSet(Base):
    """A unit's allocation rules (the rules JSON), in force from a month on."""

    __tablename__ = "allocation_rule_sets"
    __table_args__ = (UniqueConstraint("unit_id", "effective_from"), period_check("effective_from"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    effective_from: Mapped[str] = mapped_column(PERIOD)
    rules: Mapped[list]
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = created_at_column()


class ScorecardFormInput(Base):
    """A scorecard form as the editor last showed it, kept so the page can redirect.

    Post/redirect/get: a press of a form button (a refused save, a preview, add a criterion)
    stores the form here, with its error marks, under a random token and redirects to
    ``/units/<code>/scorecard?form=<token>``, which shows it again; a reload then repeats the
    GET, never the POST. Only its author, on that unit, sees it; rows older than a day are
    deleted when a new one is stored.
    """

    __tablename__ = "scorecard_form_inputs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    mode: Mapped[str] = mapped_column(String(16))  # "edit" | "preview"
    form: Mapped[dict]
