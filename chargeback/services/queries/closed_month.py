"""A closed month as its close froze it: the tree, each unit's money and rating, the
internal charges, and the settings it was closed with. Loaded in a fixed number of queries.

``load`` reads only the month's frozen rows (the tree snapshot, unit results, ratings,
internal charges) and its period row; the pack, the portfolio page, the unit pages and the
API all start from it. It also reads an open month whose results a provisional pack has
just computed (inside a savepoint): the same rows, with today's settings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from chargeback.models import (
    InternalCharge,
    Period,
    PeriodSeal,
    Rating,
    ServiceSnapshot,
    UnitPeriodResult,
    UnitTreeSnapshot,
)
from chargeback.services.queries.catalog import Price, PricedService
from chargeback.services.queries.periods import (
    band_limits_of,
    currency_of,
    fiscal_year_start_of,
)
from rules.model import BandThresholds
from rules.tree import tree_order


@dataclass(frozen=True, kw_only=True)
class Node:
    """A unit as it stood at the close."""

    unit_id: int
    code: str
    parent: str | None
    name: str
    model: str
    model_name: str
    billing_mode: str


@dataclass(frozen=True, kw_only=True)
class Money:
    """A unit's own money in the month (``spend`` includes internal charges received)."""

    spend: Decimal
    internal_received: Decimal
    budget: Decimal | None
    charged: Decimal
    charged_external: Decimal
    absorbed: Decimal
    envelope: Decimal | None = None  # a venture: the fiscal year's budgets summed
    envelope_spent: Decimal | None = None  # and its spend of the year up to the month


@dataclass(frozen=True, kw_only=True)
class Grade:
    """A unit's rating against its own scorecard version in force for the month."""

    attainment: Decimal | None
    band: str
    version: int
    effective_from: str


@dataclass(frozen=True, kw_only=True)
class ClosedMonth:
    period: str
    status: str
    revision: int
    currency: str
    limits: BandThresholds
    fiscal_year_start: int  # 1-12: the month the fiscal year starts in
    computed_at: dt.datetime | None
    seal: str | None
    tree: Mapping[str, Node]
    money: Mapping[str, Money]
    grades: Mapping[str, Grade]
    internal: tuple[tuple[str, str, Decimal], ...]  # (provider, receiver, amount)

    def parents(self) -> dict[str, str | None]:
        return {code: node.parent for code, node in self.tree.items()}

    def order(self) -> list[tuple[str, int]]:
        return tree_order(self.parents())

    def models(self) -> dict[str, str]:
        """Service model code -> its name at the close, for the models in the tree."""
        return dict(sorted({(n.model, n.model_name) for n in self.tree.values()}))


def load(session: Session, period: str, default_currency: str) -> ClosedMonth:
    """The month's frozen figures, keyed by unit code (six queries, whatever its size)."""
    row = session.get(Period, period)
    tree = {t.unit_code: _node(t) for t in session.scalars(
        select(UnitTreeSnapshot).where(UnitTreeSnapshot.period == period)
        .order_by(UnitTreeSnapshot.unit_code))}
    code_of = {node.unit_id: code for code, node in tree.items()}
    money = {code_of[r.unit_id]: Money(
        spend=r.spend, internal_received=r.internal_received, budget=r.budget,
        charged=r.charged, charged_external=r.charged_external, absorbed=r.absorbed,
        envelope=r.envelope, envelope_spent=r.envelope_spent)
        for r in session.scalars(select(UnitPeriodResult).where(
            UnitPeriodResult.period == period)) if r.unit_id in code_of}
    grades = {code_of[r.unit_id]: Grade(attainment=r.attainment, band=r.band,
                                        version=r.scorecard_version,
                                        effective_from=r.scorecard_from)
              for r in session.scalars(select(Rating).where(Rating.period == period))
              if r.unit_id in code_of}
    return ClosedMonth(
        period=period, status=row.status if row else "open",
        revision=max(row.close_count, 1) if row else 1,
        currency=currency_of(session, period, default_currency),
        limits=band_limits_of(session, period),
        fiscal_year_start=fiscal_year_start_of(session, period),
        computed_at=row.computed_at if row else None, seal=_seal(session, period),
        tree=tree, money=money, grades=grades, internal=_internal(session, period))


def _internal(session: Session, period: str) -> tuple[tuple[str, str, Decimal], ...]:
    provider, receiver = aliased(UnitTreeSnapshot), aliased(UnitTreeSnapshot)
    rows = session.execute(
        select(provider.unit_code, receiver.unit_code, InternalCharge.amount)
        .join(provider, (provider.period == InternalCharge.period)
              & (provider.unit_id == InternalCharge.provider_id))
        .join(receiver, (receiver.period == InternalCharge.period)
              & (receiver.unit_id == InternalCharge.receiver_id))
        .where(InternalCharge.period == period)
        .order_by(provider.unit_code, receiver.unit_code))
    return tuple((a, b, amount) for a, b, amount in rows)


def _seal(session: Session, period: str) -> str | None:
    return session.scalar(select(PeriodSeal.seal).where(
        PeriodSeal.period == period, PeriodSeal.state == "current")
        .order_by(PeriodSeal.id.desc()).limit(1))


def services_of(session: Session, period: str, unit_code: str) -> list[PricedService]:
    """A unit's services as they stood at the close, with the price the month was rated at."""
    return [PricedService(code=s.code, unit=s.unit_code, name=s.name, uom=s.uom,
                          rates=(Price(s.price, s.price_from),) if s.price is not None else (),
                          in_force=Price(s.price, s.price_from) if s.price is not None
                          else None)
            for s in session.scalars(select(ServiceSnapshot).where(
                ServiceSnapshot.period == period, ServiceSnapshot.unit_code == unit_code)
                .order_by(ServiceSnapshot.code))]


def node_of(session: Session, period: str, unit_id: int) -> Node | None:
    """One unit as it stood at the close of ``period`` (None: it was not in the tree)."""
    t = session.scalar(select(UnitTreeSnapshot).where(UnitTreeSnapshot.period == period,
                                                      UnitTreeSnapshot.unit_id == unit_id))
    return None if t is None else _node(t)


def _node(t: UnitTreeSnapshot) -> Node:
    return Node(unit_id=t.unit_id, code=t.unit_code, parent=t.parent_code, name=t.name,
                model=t.service_model_code, model_name=t.service_model_name,
                billing_mode=t.billing_mode)


def has_children(session: Session, period: str, code: str) -> bool:
    return session.scalar(select(UnitTreeSnapshot.id).where(
        UnitTreeSnapshot.period == period, UnitTreeSnapshot.parent_code == code).limit(1)) \
        is not None
