"""The measures a unit has in a period: observed metrics plus what the ledger says.

``rules.measures.ledger_measures`` names the ledger measures; this module only gathers
the figures from the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import (
    Budget,
    MetricObservation,
    SpendLine,
    UnitPeriodResult,
    UnitPeriodSpend,
)
from chargeback.services.queries import service_levels
from chargeback.services.queries.periods import latest_closed
from rules.envelope import Envelope, envelope_measures, envelope_of, fiscal_year
from rules.measures import ledger_measures, measure_suffix


def spend_by(session: Session, column, period: str) -> dict[int, dict[str, Decimal]]:
    """unit id -> {pool or tower code: external spend} for one period.

    Summed here as Decimals, not by the database: SQLite would add them as doubles.
    """
    rows = session.execute(select(SpendLine.unit_id, column, SpendLine.amount)
                           .where(SpendLine.period == period, column.is_not(None)))
    result: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for unit_id, code, amount in rows:
        result[unit_id][code] = result[unit_id].get(code, Decimal("0.00")) + amount
    return result


def budgets(session: Session, period: str) -> dict[int, Decimal]:
    rows = session.execute(select(Budget.unit_id, Budget.amount).where(Budget.period == period))
    return {unit_id: amount for unit_id, amount in rows}


def known_names(session: Session, unit_id: int) -> set[str]:
    """Every measure name ever seen for a unit (for "did you mean ...?" when saving)."""
    names = set(session.scalars(select(MetricObservation.measure).distinct()
                                .where(MetricObservation.unit_id == unit_id)))
    names |= {"spend", "budget", "charged", "spend_pool_internal"}
    for column, prefix in ((SpendLine.cost_pool, "spend_pool_"), (SpendLine.tower, "spend_tower_")):
        codes = session.scalars(select(column).distinct().where(
            SpendLine.unit_id == unit_id, column.is_not(None)))
        names |= {prefix + measure_suffix(code) for code in codes}
    return names | service_levels.known_names(session, unit_id)


NO_MONEY = Decimal("0.00")


def envelopes(session: Session, period: str, fiscal_year_start: int,
              this_month: dict[int, Decimal]) -> dict[int, Envelope]:
    """Unit id -> its funding envelope in ``period``, for the units of ``this_month``
    (venture unit id -> its spend this month, internal charges received included): the
    fiscal year's budget rows summed, and its spend of the year's earlier months as their
    closes froze it (``unit_period_results``) plus this month's. The close stores what this
    returns, so a budget row of the year imported later never changes a closed month."""
    if not this_month:
        return {}
    months = fiscal_year(period, fiscal_year_start)
    ids = list(this_month)
    budgets: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for unit_id, month, amount in session.execute(
            select(Budget.unit_id, Budget.period, Budget.amount)
            .where(Budget.unit_id.in_(ids), Budget.period.in_(months))):
        budgets[unit_id][month] = amount
    spent: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for unit_id, month, amount in session.execute(
            select(UnitPeriodResult.unit_id, UnitPeriodResult.period, UnitPeriodResult.spend)
            .where(UnitPeriodResult.unit_id.in_(ids), UnitPeriodResult.period.in_(months),
                   UnitPeriodResult.period < period)):
        spent[unit_id][month] = amount
    found = {}
    for unit_id, spend in this_month.items():
        envelope = envelope_of(period, fiscal_year_start, budgets[unit_id],
                               {**spent[unit_id], period: spend})
        if envelope is not None:
            found[unit_id] = envelope
    return found


def for_unit(session: Session, unit_id: int, period: str) -> dict[str, Decimal]:
    """A unit's measures in a month whose results are stored (the close rates with these,
    and the scorecard preview scores a proposal with the very same): see ``MonthMeasures``."""
    return for_month(session, period, unit_id).of(unit_id)


@dataclass(frozen=True)
class MonthMeasures:
    """The measures of a month whose results are stored, read once for all its units.

    A unit's are its observed metrics, its services' service level results (``sla.``
    names, ``queries.service_levels``), then the ledger measures from what the close froze:
    ``spend`` is the unit's external spend by pool plus the internal charges it received
    (pool ``internal``), ``charged`` and ``budget`` are its stored results, and every pool
    or tower seen in the month's ledger gives a ``spend_pool_*`` / ``spend_tower_*``
    measure (0 when this unit has none).
    """

    # budget, charged, internal received, spend, envelope, envelope spent (ventures)
    results: dict[int, tuple[Decimal | None, Decimal, Decimal, Decimal,
                             Decimal | None, Decimal | None]]
    frozen: dict[str, dict[int, dict[str, Decimal]]]
    budgets: dict[int, Decimal]
    observed: dict[int, dict[str, Decimal]]
    sla: dict[int, dict[str, Decimal]]

    def of(self, unit_id: int) -> dict[str, Decimal]:
        pools = dict(self.frozen["pool"].get(unit_id, {}))
        envelope = None
        if unit_id in self.results:
            budget, charged, internal, spend, envelope, spent = self.results[unit_id]
        else:  # the unit did not exist when the month closed
            budget, charged, internal = self.budgets.get(unit_id), NO_MONEY, NO_MONEY
        pools["internal"] = pools.get("internal", NO_MONEY) + internal
        measures = dict(self.observed.get(unit_id, {}))
        measures.update(self.sla.get(unit_id, {}))
        measures.update(ledger_measures(
            pools, self.frozen["tower"].get(unit_id, {}), budget, charged,
            known_pools=self.known_pools, known_towers=self.known_towers))
        if envelope is not None:  # a venture: its envelope as the close froze it
            measures.update(envelope_measures(envelope, spent, spend))
        return measures

    @cached_property
    def known_pools(self) -> frozenset[str]:
        """Every pool in the month's ledger, whichever unit spent on it (read once)."""
        return frozenset(_codes(self.frozen["pool"]) | {"internal"})

    @cached_property
    def known_towers(self) -> frozenset[str]:
        return frozenset(_codes(self.frozen["tower"]))


def for_month(session: Session, period: str, unit_id: int | None = None) -> MonthMeasures:
    """The month's measures: four queries whatever the number of units (or one unit's,
    with ``unit_id``; the ledger's pools and towers are always the whole month's)."""
    def mine(column):
        return [column == unit_id] if unit_id is not None else []

    results = {row[0]: tuple(row[1:]) for row in
               session.execute(select(UnitPeriodResult.unit_id, UnitPeriodResult.budget,
                                      UnitPeriodResult.charged,
                                      UnitPeriodResult.internal_received,
                                      UnitPeriodResult.spend, UnitPeriodResult.envelope,
                                      UnitPeriodResult.envelope_spent)
                               .where(UnitPeriodResult.period == period,
                                      *mine(UnitPeriodResult.unit_id)))}
    observed: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for uid, measure, value in session.execute(
            select(MetricObservation.unit_id, MetricObservation.measure,
                   MetricObservation.value)
            .where(MetricObservation.period == period, *mine(MetricObservation.unit_id))):
        observed[uid][measure] = value
    sla = service_levels.measures_by_unit(session, period)
    if unit_id is not None:
        sla = {unit_id: sla[unit_id]} if unit_id in sla else {}
    return MonthMeasures(results=results, frozen=_frozen_spend(session, period),
                         budgets=budgets(session, period), observed=observed, sla=sla)


def _frozen_spend(session: Session, period: str) -> dict[str, dict[int, dict[str, Decimal]]]:
    """dimension -> unit id -> {pool or tower: external spend}, as the close summed them."""
    found: dict[str, dict[int, dict[str, Decimal]]] = {"pool": defaultdict(dict),
                                                       "tower": defaultdict(dict)}
    for unit_id, dimension, code, amount in session.execute(
            select(UnitPeriodSpend.unit_id, UnitPeriodSpend.dimension, UnitPeriodSpend.code,
                   UnitPeriodSpend.amount).where(UnitPeriodSpend.period == period)):
        found[dimension][unit_id][code] = amount
    return found


def _codes(by_unit: dict[int, dict[str, Decimal]]) -> set[str]:
    """Every pool or tower code in the month's ledger, whichever unit spent on it."""
    return {code for codes in by_unit.values() for code in codes}


@dataclass(frozen=True)
class MeasureChoice:
    """A measure a criterion may name, with its latest value and month (if any)."""

    name: str
    value: Decimal | None
    period: str | None


def choices(session: Session, unit_id: int) -> list[MeasureChoice]:
    """The unit's measure names with their latest value: observed ones (and service level
    results) from their latest month, ledger ones from the latest closed month (as its close froze them)."""
    latest: dict[str, tuple[str, Decimal]] = {}
    rows = session.execute(select(MetricObservation.measure, MetricObservation.period,
                                  MetricObservation.value)
                           .where(MetricObservation.unit_id == unit_id)
                           .order_by(MetricObservation.period.desc()))
    for name, period, value in rows:
        latest.setdefault(name, (period, value))
    latest.update(service_levels.latest_results(session, unit_id))
    closed = latest_closed(session)
    ledger = for_unit(session, unit_id, closed) if closed else {}
    found = []
    for name in sorted(known_names(session, unit_id) | set(latest)):
        if name in latest:
            found.append(MeasureChoice(name, latest[name][1], latest[name][0]))
        else:
            value = ledger.get(name)
            found.append(MeasureChoice(name, value, closed if value is not None else None))
    return found
