"""Is a month ready to close? What is still missing, in words a person can act on.

By default exactly two rules: every unit with a scorecard in force has spend for the month,
and every chargeback unit's services have usage for it. Further rules are switched on in the
configuration (``CHARGEBACK_READINESS_EXTRA``): ``budgets`` (every unit with spend has a
budget) and ``metrics`` (every measure a scorecard in force names has a value).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Budget, MetricObservation, Service, SpendLine, Unit, UsageTotal
from chargeback.services import scorecards
from chargeback.services.queries import service_levels
from rules.expressions import parse
from rules.vocabulary import is_ledger_measure

EXTRA_RULES = ("budgets", "metrics")


def missing(session: Session, period: str, extra: tuple[str, ...] = ()) -> list[str]:
    units = list(session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
    with_spend = set(session.scalars(select(SpendLine.unit_id).distinct()
                                     .where(SpendLine.period == period)))
    problems = [f"no spend for {u.code} (it has a scorecard)" for u in units
                if u.id not in with_spend and scorecards.in_force(session, u.id, period)]
    problems += _services_without_usage(session, period)
    if "budgets" in extra:
        budgeted = set(session.scalars(select(Budget.unit_id).where(Budget.period == period)))
        problems += [f"no budget for {u.code}" for u in units
                     if u.id in with_spend and u.id not in budgeted]
    if "metrics" in extra:
        problems += _missing_metrics(session, period, units)
    return problems


def _services_without_usage(session: Session, period: str) -> list[str]:
    used = set(session.scalars(select(UsageTotal.service_id).distinct()
                               .where(UsageTotal.period == period)))
    rows = session.execute(select(Service.id, Service.code, Unit.code).join(Unit)
                           .where(Unit.billing_mode == "chargeback", Unit.active.is_(True))
                           .order_by(Unit.code, Service.code))
    return [f"no usage of {unit}'s service {code}" for sid, code, unit in rows if sid not in used]


def _missing_metrics(session: Session, period: str, units) -> list[str]:
    problems = []
    service_level = service_levels.measures_by_unit(session, period)
    for unit in units:
        version = scorecards.in_force(session, unit.id, period)
        if version is None:
            continue
        have = set(session.scalars(select(MetricObservation.measure).where(
            MetricObservation.unit_id == unit.id, MetricObservation.period == period)))
        have |= set(service_level.get(unit.id, {}))
        for criterion in version.criteria:
            parsed, _ = parse(criterion.expr)
            for name in sorted(parsed.names if parsed else ()):
                observed = not is_ledger_measure(name)
                if observed and name not in have:
                    problems.append(f"no {name} for {unit.code} (criterion {criterion.key})")
    return problems
