"""A unit's service catalog in a month: its services with their owner, their offerings,
each offering's service level targets and the month's result against each target.

A target is judged by one rule, the same for every reader of targets (the catalog page,
the API, the chain view of another unit's services): an offering's target is judged
against that offering's result of the month, or, when the offering has none, against the
result imported for the whole service (``offering`` empty); ``met`` when the result is at
least the target (higher is better) or at most it (lower is better), ``missed``
otherwise, ``no result`` when neither was imported.

The scorecards' ``sla.`` measures (``measures_by_unit``) do **not** fall back: each
result is read by its own name only, ``sla.SERVICE.measure`` the whole service's and
``sla.SERVICE.OFFERING.measure`` that offering's own, so a criterion reads exactly the
result it names. docs/catalog.md says the same to a unit head.

A closed month is read from what its close froze: the owner with the service snapshot,
the offerings and targets from ``offering_snapshots``. Its results are the month's
``sla_results``, which no import may change once the month is frozen (as metrics). An
open month is read from today's catalog.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import (
    Offering,
    OfferingSnapshot,
    Period,
    Service,
    ServiceSnapshot,
    SlaResult,
    SlaTarget,
    Unit,
    UnitTreeSnapshot,
    User,
)
from chargeback.vocabulary import FROZEN_STATUSES
from rules.vocabulary import sla_name

MET, MISSED, NO_RESULT = "met", "missed", "no result"
STATUSES = (MET, MISSED, NO_RESULT)
SERVICE_WIDE = "service"  # where a result came from: the whole service
OWN = "offering"  # or the offering's own


@dataclass(frozen=True, kw_only=True)
class Result:
    """A service level result of the month (offering None: the whole service's), with
    the name a scorecard criterion reads it by (None: the service code cannot be named)."""

    offering: str | None
    measure: str
    value: Decimal
    name: str | None


@dataclass(frozen=True, kw_only=True)
class TargetCheck:
    """One target of an offering and the month's result against it."""

    measure: str
    target: Decimal
    direction: str
    result: Decimal | None
    result_from: str | None  # OWN, SERVICE_WIDE, or None (no result)
    name: str | None  # the criterion name of the result used
    status: str


@dataclass(frozen=True, kw_only=True)
class OfferingLevels:
    code: str
    name: str
    targets: tuple[TargetCheck, ...]


@dataclass(frozen=True, kw_only=True)
class ServiceLevels:
    """A service in a month: owner, offerings with targets checked, and every result
    (those without a target too: a criterion may still read them)."""

    service_id: int
    code: str
    name: str
    uom: str
    unit: str
    owner_email: str | None
    offerings: tuple[OfferingLevels, ...]
    results: tuple[Result, ...]

    def counts(self) -> dict[str, int]:
        """How many targets were met, missed or had no result."""
        found = dict.fromkeys(STATUSES, 0)
        for offering in self.offerings:
            for check in offering.targets:
                found[check.status] += 1
        return found


@dataclass(frozen=True, kw_only=True)
class Catalog:
    period: str
    frozen: bool  # read from what the month's close froze
    services: tuple[ServiceLevels, ...]


def is_met(value: Decimal, target: Decimal, direction: str) -> bool:
    return value >= target if direction == "higher" else value <= target


def check(measure: str, target: Decimal, direction: str, own: Result | None,
          whole: Result | None) -> TargetCheck:
    """A target against the offering's own result, else the service-wide one."""
    used, source = (own, OWN) if own is not None else (whole, SERVICE_WIDE)
    if used is None:
        return TargetCheck(measure=measure, target=target, direction=direction, result=None,
                           result_from=None, name=None, status=NO_RESULT)
    return TargetCheck(measure=measure, target=target, direction=direction,
                       result=used.value, result_from=source, name=used.name,
                       status=MET if is_met(used.value, target, direction) else MISSED)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ServiceRow:
    service_id: int
    code: str
    name: str
    uom: str
    unit: str
    owner_email: str | None


# (service id, offering code, offering name, measure, target, direction); the last three
# None for an offering without targets
_TargetRow = tuple[int, str, str, str | None, Decimal | None, str | None]


def months(session: Session) -> list[tuple[str, str]]:
    """Every month with its status, newest first: the catalog page's picker."""
    return [(row.period, row.status) for row in session.scalars(
        select(Period).order_by(Period.period.desc()))]


def default_month(session: Session) -> str | None:
    """The month a catalog shows unless asked: the latest closed one (its results are the
    ones a rating used), else the newest month there is."""
    listed = months(session)
    closed = [p for p, status in listed if status == "closed"]
    return closed[0] if closed else (listed[0][0] if listed else None)


def is_frozen(session: Session, period: str) -> bool:
    row = session.get(Period, period)
    return row is not None and row.status in FROZEN_STATUSES


def catalog_of(session: Session, unit_code: str, period: str) -> Catalog:
    """The services of unit ``unit_code`` in ``period``: as the close froze them for a
    frozen month, as they stand today otherwise."""
    frozen = is_frozen(session, period)
    services = (_frozen_services(session, period, unit_code=unit_code) if frozen
                else _live_services(session, unit_code=unit_code))
    return Catalog(period=period, frozen=frozen,
                   services=tuple(_assemble(session, period, services, frozen)))


def units_below(session: Session, unit_code: str, catalog: Catalog) -> list[tuple[str, str]]:
    """(code, name) of the units directly below ``unit_code`` in the catalog's month, by
    code: where a group's catalog (a group offers no service of its own) sends a reader.
    A frozen month's from its tree snapshot, so a unit moved later stays where it was."""
    if catalog.frozen:
        query = (select(UnitTreeSnapshot.unit_code, UnitTreeSnapshot.name)
                 .where(UnitTreeSnapshot.period == catalog.period,
                        UnitTreeSnapshot.parent_code == unit_code)
                 .order_by(UnitTreeSnapshot.unit_code))
    else:
        parent = select(Unit.id).where(Unit.code == unit_code).scalar_subquery()
        query = select(Unit.code, Unit.name).where(Unit.parent_id == parent).order_by(Unit.code)
    return [(code, name) for code, name in session.execute(query)]


def service_levels(session: Session, service_ids: Iterable[int],
                   period: str) -> dict[int, ServiceLevels]:
    """Service id -> its levels in ``period`` (any unit's services; the chain view reads
    its upstream services through this). A service the month's close did not see (or
    that does not exist) is left out."""
    ids = set(service_ids)
    if not ids:
        return {}
    frozen = is_frozen(session, period)
    services = (_frozen_services(session, period, service_ids=ids) if frozen
                else _live_services(session, service_ids=ids))
    return {s.service_id: s for s in _assemble(session, period, services, frozen)}


def measures_by_unit(session: Session, period: str) -> dict[int, dict[str, Decimal]]:
    """Unit id -> its ``sla.`` measures in ``period``: every result of the services the
    unit provided (as the month's close froze which unit provides which service; today's
    services for a month not frozen yet), by its criterion name."""
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    snapshots = list(session.execute(
        select(ServiceSnapshot.service_id, ServiceSnapshot.code, UnitTreeSnapshot.unit_id)
        .join(UnitTreeSnapshot, (UnitTreeSnapshot.period == ServiceSnapshot.period)
              & (UnitTreeSnapshot.unit_code == ServiceSnapshot.unit_code))
        .where(ServiceSnapshot.period == period)))
    if not snapshots:
        snapshots = list(session.execute(select(Service.id, Service.code, Service.unit_id)))
    owners = {sid: (code, unit_id) for sid, code, unit_id in snapshots}
    for sid, offering, measure, value in session.execute(
            select(SlaResult.service_id, SlaResult.offering, SlaResult.measure,
                   SlaResult.value).where(SlaResult.period == period)):
        if sid not in owners:
            continue
        code, unit_id = owners[sid]
        name = sla_name(code, offering, measure)
        if name is not None:
            found[unit_id][name] = value
    return found


def known_names(session: Session, unit_id: int) -> set[str]:
    """The ``sla.`` names a unit's services have today: every target's (per offering)
    and every result ever imported (per offering or for the whole service)."""
    services = dict(session.execute(select(Service.id, Service.code)
                                    .where(Service.unit_id == unit_id)).all())
    if not services:
        return set()
    pairs = set(session.execute(
        select(Offering.service_id, Offering.code, SlaTarget.measure)
        .join(SlaTarget, SlaTarget.offering_id == Offering.id)
        .where(Offering.service_id.in_(services))))
    pairs |= set(session.execute(
        select(SlaResult.service_id, SlaResult.offering, SlaResult.measure).distinct()
        .where(SlaResult.service_id.in_(services))))
    names = {sla_name(services[sid], offering, measure) for sid, offering, measure in pairs}
    return {n for n in names if n is not None}


def latest_results(session: Session, unit_id: int) -> dict[str, tuple[str, Decimal]]:
    """``sla.`` name -> (month, value) of its latest result, for a unit's services today."""
    latest: dict[str, tuple[str, Decimal]] = {}
    for code, period, offering, measure, value in session.execute(
            select(Service.code, SlaResult.period, SlaResult.offering, SlaResult.measure,
                   SlaResult.value).join(Service, Service.id == SlaResult.service_id)
            .where(Service.unit_id == unit_id).order_by(SlaResult.period.desc())):
        name = sla_name(code, offering, measure)
        if name is not None:
            latest.setdefault(name, (period, value))
    return latest


def snapshot_rows(session: Session, period: str) -> list[dict]:
    """Every offering and target today, as ``offering_snapshots`` rows of ``period``."""
    return [{"period": period, "service_id": sid, "offering": code, "offering_name": name,
             "measure": measure, "target": target, "direction": direction}
            for sid, code, name, measure, target, direction in _live_targets(session, None)]


def owner_emails(session: Session) -> dict[int, str]:
    """Service id -> its owner's e-mail address, for services with an owner."""
    return dict(session.execute(select(Service.id, User.email)
                                .join(User, User.id == Service.owner_id)).all())


def _live_services(session: Session, *, unit_code: str | None = None,
                   service_ids: set[int] | None = None) -> list[_ServiceRow]:
    query = (select(Service.id, Service.code, Service.name, Service.uom, Unit.code,
                    User.email)
             .join(Unit, Unit.id == Service.unit_id)
             .outerjoin(User, User.id == Service.owner_id).order_by(Service.code))
    if unit_code is not None:
        query = query.where(Unit.code == unit_code)
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    return [_ServiceRow(*row) for row in session.execute(query)]


def _frozen_services(session: Session, period: str, *, unit_code: str | None = None,
                     service_ids: set[int] | None = None) -> list[_ServiceRow]:
    query = (select(ServiceSnapshot.service_id, ServiceSnapshot.code, ServiceSnapshot.name,
                    ServiceSnapshot.uom, ServiceSnapshot.unit_code,
                    ServiceSnapshot.owner_email)
             .where(ServiceSnapshot.period == period).order_by(ServiceSnapshot.code))
    if unit_code is not None:
        query = query.where(ServiceSnapshot.unit_code == unit_code)
    if service_ids is not None:
        query = query.where(ServiceSnapshot.service_id.in_(service_ids))
    return [_ServiceRow(*row) for row in session.execute(query)]


def _live_targets(session: Session, service_ids: set[int] | None) -> list[_TargetRow]:
    query = (select(Offering.service_id, Offering.code, Offering.name, SlaTarget.measure,
                    SlaTarget.target, SlaTarget.direction)
             .outerjoin(SlaTarget, SlaTarget.offering_id == Offering.id))
    if service_ids is not None:
        query = query.where(Offering.service_id.in_(service_ids))
    return [tuple(row) for row in session.execute(query)]


def _frozen_targets(session: Session, period: str, service_ids: set[int]) -> list[_TargetRow]:
    Snap = OfferingSnapshot  # noqa: N806
    return [tuple(row) for row in session.execute(
        select(Snap.service_id, Snap.offering, Snap.offering_name, Snap.measure, Snap.target,
               Snap.direction)
        .where(Snap.period == period, Snap.service_id.in_(service_ids)))]


def _assemble(session: Session, period: str, services: list[_ServiceRow],
              frozen: bool) -> list[ServiceLevels]:
    ids = {s.service_id for s in services}
    targets = _frozen_targets(session, period, ids) if frozen else _live_targets(session, ids)
    results: dict[int, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for sid, offering, measure, value in session.execute(
            select(SlaResult.service_id, SlaResult.offering, SlaResult.measure,
                   SlaResult.value)
            .where(SlaResult.period == period, SlaResult.service_id.in_(ids))):
        results[sid].append((offering, measure, value))
    by_service: dict[int, list[_TargetRow]] = defaultdict(list)
    for row in targets:
        by_service[row[0]].append(row)
    return [_service(s, by_service[s.service_id], results[s.service_id]) for s in services]


def _service(row: _ServiceRow, targets: list[_TargetRow],
             results: list[tuple[str, str, Decimal]]) -> ServiceLevels:
    found = {(offering, measure): Result(offering=offering or None, measure=measure,
                                         value=value, name=sla_name(row.code, offering, measure))
             for offering, measure, value in results}
    offerings: dict[str, tuple[str, list[TargetCheck]]] = {}
    for _, code, name, measure, target, direction in sorted(
            targets, key=lambda t: (t[1], t[3] or "")):
        checks = offerings.setdefault(code, (name, []))[1]
        if measure is not None:
            checks.append(check(measure, target, direction, found.get((code, measure)),
                                found.get(("", measure))))
    return ServiceLevels(
        service_id=row.service_id, code=row.code, name=row.name, uom=row.uom, unit=row.unit,
        owner_email=row.owner_email,
        offerings=tuple(OfferingLevels(code=code, name=name, targets=tuple(checks))
                        for code, (name, checks) in offerings.items()),
        results=tuple(sorted(found.values(), key=lambda r: (r.offering or "", r.measure))))
