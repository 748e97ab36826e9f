"""Each service's stance on customer-introduced variability: today, or as a month froze it.

Today's stances are the unit's statements (``service_variability``) over its service
model's template proposals (``rules.variability.effective``). A closed month's are read
from what its close froze (``variability_snapshots``), never from today's statements or
today's service model: the compare page and the pack's ``Why they differ`` explain a
closed month with the stances it closed with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Service, ServiceSnapshot, ServiceVariability, Unit, UnitTreeSnapshot
from chargeback.models import VariabilitySnapshot as Frozen
from chargeback.services.queries import charges
from chargeback.services.queries.closed_month import ClosedMonth
from rules import variability as rv


@dataclass(frozen=True, kw_only=True)
class ServiceStances:
    """A service with the stance that holds for each kind (``kinds``: kind -> Stance)."""

    code: str
    unit: str
    name: str
    uom: str
    kinds: Mapping[str, rv.Stance]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"

    def stances(self) -> list[tuple[str, rv.Stance | None]]:
        """Every kind in Frei's order with its stance (None: neither stated nor proposed)."""
        return [(kind, self.kinds.get(kind)) for kind in rv.KINDS]


def stated(session: Session, service_ids: Iterable[int]
           ) -> dict[int, dict[str, tuple[str, str | None]]]:
    """Service id -> kind -> (stance, note), as the units stated them today."""
    ids = list(service_ids)
    found: dict[int, dict[str, tuple[str, str | None]]] = {}
    if not ids:
        return found
    for row in session.scalars(select(ServiceVariability)
                               .where(ServiceVariability.service_id.in_(ids))):
        found.setdefault(row.service_id, {})[row.kind] = (row.stance, row.note)
    return found


def today(session: Session, unit: Unit) -> list[ServiceStances]:
    """A unit's services today, by code, with their statements over the template's
    proposals of the unit's service model today."""
    services = list(session.scalars(select(Service).where(Service.unit_id == unit.id)
                                    .order_by(Service.code)))
    said = stated(session, (s.id for s in services))
    return [ServiceStances(code=s.code, unit=unit.code, name=s.name, uom=s.uom,
                           kinds=rv.effective(said.get(s.id, {}), unit.service_model_code))
            for s in services]


def of_month(session: Session, unit: Unit, period: str, frozen: bool
             ) -> dict[str, ServiceStances]:
    """Service code -> its stances for a page of ``period``: as the month's close froze
    them when it is ``frozen``, today's otherwise (an open month is not explained yet)."""
    services = (frozen_of(session, period, unit.code) if frozen else today(session, unit))
    return {s.code: s for s in services}


def frozen_of(session: Session, period: str, unit_code: str) -> list[ServiceStances]:
    """One unit's services and stances as the close of ``period`` froze them."""
    return frozen(session, period, [unit_code])[unit_code]


def units_below(session: Session, unit: Unit, period: str | None = None
                ) -> list[tuple[str, str]]:
    """(code, name) of the units directly under ``unit``, by code: today's, or as the close
    of ``period`` froze the tree. A group offers no service of its own; its units state
    their own stances, and its page says so and links them."""
    if period is None:
        query = select(Unit.code, Unit.name).where(Unit.parent_id == unit.id)
        return [tuple(row) for row in session.execute(query.order_by(Unit.code))]
    query = (select(UnitTreeSnapshot.unit_code, UnitTreeSnapshot.name)
             .where(UnitTreeSnapshot.period == period,
                    UnitTreeSnapshot.parent_code == unit.code)
             .order_by(UnitTreeSnapshot.unit_code))
    return [tuple(row) for row in session.execute(query)]


def snapshot_rows(period: str, services: Iterable[dict], models: Mapping[str, str],
                  said: Mapping[int, Mapping[str, tuple[str, str | None]]]) -> list[dict]:
    """The close's rows: for every service of the month's snapshot (``services``, in the
    service snapshot's columns), each kind's stance as it holds now, stated or proposed
    by the template of the model its unit has (``models``: unit code -> model)."""
    rows = []
    for s in services:
        kinds = rv.effective(said.get(s["service_id"], {}), models[s["unit_code"]])
        rows += [{"period": period, "service_id": s["service_id"], "service_code": s["code"],
                  "unit_code": s["unit_code"], "kind": kind, "stance": stance.stance,
                  "note": stance.note, "source": stance.source}
                 for kind, stance in kinds.items()]
    return rows


def frozen(session: Session, period: str, unit_codes: Iterable[str]
           ) -> dict[str, list[ServiceStances]]:
    """Unit code -> its services as the close of ``period`` froze them, by code, each with
    the stances that held then (two queries, whatever the number of units)."""
    codes = sorted(set(unit_codes))
    kinds: dict[int, dict[str, rv.Stance]] = {}
    for row in session.scalars(select(Frozen).where(Frozen.period == period,
                                                    Frozen.unit_code.in_(codes))):
        kinds.setdefault(row.service_id, {})[row.kind] = rv.Stance(
            kind=row.kind, stance=row.stance, note=row.note, source=row.source)
    found: dict[str, list[ServiceStances]] = {code: [] for code in codes}
    for s in session.scalars(select(ServiceSnapshot).where(
            ServiceSnapshot.period == period, ServiceSnapshot.unit_code.in_(codes))
            .order_by(ServiceSnapshot.code)):
        found[s.unit_code].append(ServiceStances(
            code=s.code, unit=s.unit_code, name=s.name, uom=s.uom,
            kinds={k: kinds[s.service_id][k] for k in rv.KINDS
                   if k in kinds.get(s.service_id, {})}))
    return found


# --- explaining a difference in spend --------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Contrast:
    """The two services a comparison tells apart, with the sentences that do it."""

    a: ServiceStances
    b: ServiceStances
    sentences: tuple[str, ...]


class Explainer:
    """A closed month's frozen stances and main services, read once, for the sentences of
    many pairs of units (the pack's ``Why they differ`` asks for one per unit)."""

    def __init__(self, session: Session, month: ClosedMonth,
                 units: Iterable[str] | None = None,
                 usage: Mapping[int, Mapping[str, charges.MainService]] | None = None):
        self.month = month
        self.services = frozen(session, month.period, month.tree if units is None else units)
        if usage is None:
            usage = charges.usage_services(session, month.period)
        self.recovered = {code: {s: found.amount for s, found in usage[node.unit_id].items()}
                          for code, node in month.tree.items() if node.unit_id in usage}
        self.mains = {code: charges.main_of(dict(usage[node.unit_id]))
                      for code, node in month.tree.items() if usage.get(node.unit_id)}

    def contrast(self, a: str, b: str, spend: Mapping[str, Decimal]) -> Contrast | None:
        """How units ``a`` and ``b`` take variability on the services compared
        (``rules.variability.pick_pair``); None when either has no service that month.
        ``spend``: each unit's spend of the month, for what a unit of its main service
        cost (the cost sentence is decided on that, never on total spend)."""
        mine, theirs = self.services.get(a, []), self.services.get(b, [])
        pair = rv.pick_pair([(s.code, s.uom) for s in mine], [(s.code, s.uom) for s in theirs],
                            {**self.recovered.get(a, {}), **self.recovered.get(b, {})})
        if pair is None:
            return None
        x = next(s for s in mine if s.code == pair[0])
        y = next(s for s in theirs if s.code == pair[1])
        sentences = rv.contrast(self._side(a, x, spend.get(a)), self._side(b, y, spend.get(b)))
        return Contrast(a=x, b=y, sentences=sentences)

    def _side(self, unit: str, service: ServiceStances,
              spend: Decimal | None) -> rv.ServiceStances:
        """The service for the rules, with the unit's spend put down to it only when it is
        the unit's main service (the pack's cost per unit)."""
        main = self.mains.get(unit)
        quantity = main.quantity if main is not None and main.code == service.code else None
        return rv.ServiceStances(unit=unit, code=service.code, name=service.name,
                                 stances=service.kinds, uom=service.uom, spend=spend,
                                 quantity=quantity)
