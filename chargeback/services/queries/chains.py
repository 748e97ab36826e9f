"""A service's chain in a closed month: every upstream service, what it charged along its
link through the cascade, the share of that which reached the service, and its service
level results (each offering's targets met or missed,
``queries.service_levels``: the catalog's one rule).

Read only from what the month's close froze: the services' dependencies
(``service_dependency_snapshots``), the services and consumers as they stood, and the
month's charges and each unit's spend and charges as the close froze them
(``unit_period_results``); ``rules.chains`` says what "charged along the link", "reached"
and "own cost in it" are; service levels are the
month's targets as its close froze them and the month's results (frozen with the month). A
dependency imported or removed after the close changes no closed month's chain. A fixed
number of queries, whatever the chain's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from chargeback.models import (
    Charge,
    ConsumerSnapshot,
    ServiceDependencySnapshot,
    ServiceSnapshot,
    UnitPeriodResult,
    UnitTreeSnapshot,
)
from chargeback.services.queries import service_levels
from chargeback.services.queries.service_levels import ServiceLevels
from chargeback.services.queries.sql import cents_sum, from_cents
from rules import chains as chain_rules


@dataclass(frozen=True, kw_only=True)
class ChainService:
    """A service as the month's close froze it."""

    code: str
    name: str
    unit: str
    uom: str


@dataclass(frozen=True, kw_only=True)
class ChainLink:
    """``upstream`` charged ``downstream``'s unit ``amount`` along the link (the chain's
    service at depth 1), of which ``reached`` went on down to the chain's service."""

    upstream: ChainService
    downstream: str
    depth: int
    amount: Decimal
    reached: Decimal


@dataclass(frozen=True, kw_only=True)
class ChainSource:
    """An upstream service's own cost in the chain: the part of the upstream cost behind the
    chain's service that started with it (``rules.chains.own_costs``)."""

    service: ChainService
    own_cost: Decimal


@dataclass(frozen=True, kw_only=True)
class Chain:
    period: str
    service: ChainService
    links: list[ChainLink]
    total: Decimal  # the internal charges along the links
    total_reached: Decimal  # the upstream cost behind the service (the depth-1 links)
    sources: list[ChainSource]  # each upstream service's own cost in it: they add up to it
    feeds: list[ChainService]  # the services that depend on this one, directly
    levels: dict[str, ServiceLevels]  # service code -> its service levels in the month

    def levels_of(self, code: str) -> ServiceLevels | None:
        """The service's offerings, targets and results (None: it has none)."""
        return self.levels.get(code)

    def upstream_units(self) -> list[str]:
        return sorted({link.upstream.unit for link in self.links})


def chain_of(session: Session, period: str, code: str) -> Chain | None:
    """The chain of service ``code`` as ``period`` closed (None: no such service then)."""
    services = {s.code: s for s in session.scalars(
        select(ServiceSnapshot).where(ServiceSnapshot.period == period))}
    head = services.get(code)
    if head is None:
        return None
    depends_on: dict[str, set[str]] = {}
    for service, upstream in session.execute(
            select(ServiceDependencySnapshot.service_code,
                   ServiceDependencySnapshot.upstream_code)
            .where(ServiceDependencySnapshot.period == period)):
        depends_on.setdefault(service, set()).add(upstream)
    unit_of = {c: s.unit_code for c, s in services.items()}
    ids = {s.service_id: c for c, s in services.items()}
    charged, revenue = _charges(session, period, ids, depends_on)
    contributed = chain_rules.contributions(depends_on, unit_of, charged, revenue)
    money = _unit_money(session, period)
    links = chain_rules.reach(
        code, chain_rules.chain(code, depends_on, contributed), revenue,
        {c: money.get(s.unit_code, (Decimal("0.00"), Decimal("0.00")))
         for c, s in services.items()})
    shown = {code} | {link.upstream for link in links}
    levels = service_levels.service_levels(
        session, (services[c].service_id for c in shown), period)
    return Chain(
        period=period, service=_service(head),
        links=[ChainLink(upstream=_service(services[link.upstream]), downstream=link.downstream,
                         depth=link.depth, amount=link.amount, reached=link.reached)
               for link in links],
        total=chain_rules.total(links), total_reached=chain_rules.total_reached(links),
        sources=[ChainSource(service=_service(services[c]), own_cost=own)
                 for c, own in chain_rules.own_costs(links).items()],
        feeds=[_service(services[s]) for s in sorted(depends_on)
               if code in depends_on[s]],
        levels={services[c].code: levels[services[c].service_id] for c in shown
                if services[c].service_id in levels})


def _service(row: ServiceSnapshot) -> ChainService:
    return ChainService(code=row.code, name=row.name, unit=row.unit_code, uom=row.uom)


def _unit_money(session: Session, period: str) -> dict[str, tuple[Decimal, Decimal]]:
    """Unit code -> (its spend in the month, internal charges received included; what it
    charged in all), as the month's close froze them (the unit's code too, as the tree
    snapshot has it: a unit recoded later changes nothing): a service's share of its unit's
    cost."""
    return {code: (spend, charged) for code, spend, charged in session.execute(
        select(UnitTreeSnapshot.unit_code, UnitPeriodResult.spend, UnitPeriodResult.charged)
        .join(UnitTreeSnapshot, and_(UnitTreeSnapshot.period == UnitPeriodResult.period,
                                     UnitTreeSnapshot.unit_id == UnitPeriodResult.unit_id))
        .where(UnitPeriodResult.period == period))}


def _charges(session: Session, period: str, ids: dict[int, str],
             depends_on: dict[str, set[str]]):
    """(upstream service, receiving unit) -> what the service charged that unit's
    consumers, for the upstream services of the month; downstream service -> what it
    charged in all (the weights of a shared upstream, and what its reached share is a
    proportion of), summed by the database."""
    upstream = {u for found in depends_on.values() for u in found}
    wanted = [i for i, c in ids.items() if c in upstream]
    charged: dict[tuple[str, str], Decimal] = {}
    if wanted:
        rows = session.execute(
            select(Charge.service_id, ConsumerSnapshot.unit_code, cents_sum(Charge.amount))
            .join(ConsumerSnapshot, and_(ConsumerSnapshot.period == Charge.period,
                                         ConsumerSnapshot.consumer_id == Charge.consumer_id))
            .where(Charge.period == period, Charge.service_id.in_(wanted),
                   ConsumerSnapshot.unit_code.is_not(None))
            .group_by(Charge.service_id, ConsumerSnapshot.unit_code))
        charged = {(ids[sid], unit): from_cents(cents) for sid, unit, cents in rows}
    downstream = [i for i, c in ids.items() if c in depends_on]
    revenue: dict[str, Decimal] = {}
    if downstream:
        rows = session.execute(
            select(Charge.service_id, cents_sum(Charge.amount))
            .where(Charge.period == period, Charge.service_id.in_(downstream))
            .group_by(Charge.service_id))
        revenue = {ids[sid]: from_cents(cents) for sid, cents in rows}
    return charged, revenue
