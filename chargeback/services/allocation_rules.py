"""A unit's allocation rules (the rules JSON of interfaces.md): checked, stored, looked up.

The set in force for P is the latest with ``effective_from <= P``. Without an
``effective_from`` a set applies from the first month it can change (see
``periods.first_changeable``): the earliest open month when nothing is closed yet.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from chargeback.failpoints import failpoint
from chargeback.models import (
    AllocationRuleSet,
    Consumer,
    DriverQuantity,
    Period,
    Service,
    SpendLine,
    Unit,
    UsageTotal,
)
from chargeback.models.audit import record
from chargeback.models.periods import lock_reference, lock_rules
from chargeback.refusals import Refused
from chargeback.services.periods import closed_problem, first_changeable
from chargeback.services.queries.periods import open_months
from rules.allocation import charge_graph, dependency_order
from rules.model import AllocationRule, RuleError
from rules.vocabulary import RESERVED_POOLS, RULE_METHODS, is_name, is_period

TOP_FIELDS = {"unit", "rules", "effective_from"}
PERCENT_DECIMALS = 6
RULE_FIELDS = {"pool", "method", "driver", "splits", "consumers"}


class RulesRefused(Refused):
    """A rule set that cannot be stored; each problem names the unit, rule and field."""

    def __init__(self, errors: list[RuleError]):
        super().__init__(*errors, kind="rules")


def save_rules(session: Session, data, actor: str) -> AllocationRuleSet:
    """Store a unit's rule set, replacing one with the same start month (audited).

    Refused when it could not be applied at month end: a cost pool the unit never spent
    on, a driver never imported, or internal charges that would go round in a circle.
    """
    errors = _shape_errors(data)
    if errors:
        raise RulesRefused(errors)
    unit = session.scalar(select(Unit).where(Unit.code == data["unit"]))
    if unit is None:
        raise RulesRefused([RuleError(source="rules", field="unit",
                                      message=f"unknown unit '{data['unit']}'")])
    lock_reference(session)  # the order every writer takes them in: reference, then rules
    lock_rules(session)
    effective_from = data.get("effective_from") or first_changeable(session)
    problem = closed_problem(session, effective_from)
    consumers = _consumers(session)
    rules, errors = parse_rules(data["rules"], unit, consumers)
    if problem:
        errors.append(RuleError(source=f"unit {unit.code}", field="effective_from",
                                message=problem))
    if not errors:
        errors = _data_errors(session, unit, rules) + _cycle_errors(
            session, unit, rules, effective_from, consumers)
    if errors:
        raise RulesRefused(errors)
    failpoint("rules.checked")
    stored = [rule_to_dict(rule) for rule in rules]
    rule_set = session.scalar(select(AllocationRuleSet).where(
        AllocationRuleSet.unit_id == unit.id, AllocationRuleSet.effective_from == effective_from))
    before = rule_set.rules if rule_set else None
    if rule_set is None:
        rule_set = AllocationRuleSet(unit_id=unit.id, effective_from=effective_from,
                                     rules=stored, created_by=actor)
        session.add(rule_set)
    else:
        rule_set.rules, rule_set.created_by = stored, actor
    record(session, actor, "rules.save", "rules", f"{unit.code}/{effective_from}",
           before={"rules": before} if before else None, after={"rules": stored})
    session.flush()
    return rule_set


def _data_errors(session: Session, unit: Unit, rules: list[AllocationRule]) -> list[RuleError]:
    """A pool the unit never spent on, or a driver never imported, would share nothing at
    month end (the cost would stay absorbed without a word): refused now instead."""
    pools = set(session.scalars(select(SpendLine.cost_pool).distinct()
                                .where(SpendLine.unit_id == unit.id)))
    drivers = set(session.scalars(select(DriverQuantity.driver).distinct()))
    errors = []
    for number, rule in enumerate(rules, start=1):
        source = f"unit {unit.code} rule {number}"
        if rule.pool not in RESERVED_POOLS and rule.pool not in pools:
            known = ", ".join(sorted(pools)) or "none yet: import its spend first"
            errors.append(RuleError(source=source, field="pool", message=(
                f"{unit.code} has no spend in cost pool '{rule.pool}' (its pools: {known})")))
        if rule.driver and rule.driver not in drivers:
            known = ", ".join(sorted(drivers)) or "none yet: import drivers first"
            errors.append(RuleError(source=source, field="driver", message=(
                f"no '{rule.driver}' driver quantity was ever imported (drivers: {known})")))
    return errors


def _cycle_errors(session: Session, unit: Unit, rules: list[AllocationRule],
                  effective_from: str, consumers: dict[str, int | None]) -> list[RuleError]:
    """Internal charges that would go round in a circle with these rules in force, in the
    months they would govern (see ``_governed``)."""
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    unit_of = {code: codes.get(uid) for code, uid in consumers.items() if uid is not None}
    stored = _rule_sets(session)
    for month, data_month in _governed(session, effective_from, stored.get(unit.id, ())):
        holders = _driver_holders(session, data_month, unit_of)
        pairs = list(_usage_pairs(session, data_month))
        for uid, code in codes.items():
            in_force_rules = rules if uid == unit.id else _latest(stored.get(uid, ()), month)
            pairs += [(code, receiver) for rule in in_force_rules
                      for receiver in _receivers(rule, holders, unit_of)]
        edges = charge_graph(codes.values(), pairs)
        _, errors = dependency_order(month, sorted(edges), edges)
        if errors:
            return [RuleError(source=f"unit {unit.code}", field="rules",
                              message=f"with these rules, {e.message} in {month}")
                    for e in errors]
    return []


def _rule_sets(session: Session) -> dict[int, list[tuple[str, list]]]:
    """Unit id -> its stored rule sets (effective_from, rules), oldest first: one query."""
    query = select(AllocationRuleSet.unit_id, AllocationRuleSet.effective_from,
                   AllocationRuleSet.rules).order_by(AllocationRuleSet.effective_from)
    sets: dict[int, list[tuple[str, list]]] = {}
    for unit_id, start, rules in session.execute(query):
        sets.setdefault(unit_id, []).append((start, rules))
    return sets


def _latest(sets, month: str) -> tuple[AllocationRule, ...]:
    """The rule set in force for ``month`` among ``sets``: the latest that started by then."""
    found = [rules for start, rules in sets if start <= month]
    return tuple(rule_from_dict(r) for r in found[-1]) if found else ()


def _governed(session: Session, start: str, unit_sets) -> list[tuple[str, str]]:
    """(month, month whose usage and drivers stand for it) for each month a rule set from
    ``start`` would allocate: the open ones from ``start`` until the unit's next stored set
    takes over. A set for months with no data yet is checked as in force in ``start``
    (every unit's rules of then) against the latest month's usage and drivers."""
    takes_over = min((s for s, _ in unit_sets if s > start), default=None)
    months = [m for m in open_months(session)
              if m >= start and (takes_over is None or m < takes_over)]
    if months:
        return [(m, m) for m in months]
    latest = session.scalar(select(Period.period).order_by(Period.period.desc()).limit(1))
    return [(start, latest)] if latest else []


def _usage_pairs(session: Session, month: str) -> set[tuple[str, str]]:
    """(providing unit, receiving unit) for usage of a unit's service by a unit's consumer."""
    provider, receiver = aliased(Unit), aliased(Unit)
    return set(session.execute(
        select(provider.code, receiver.code).distinct()
        .select_from(UsageTotal)
        .join(Service, Service.id == UsageTotal.service_id)
        .join(provider, provider.id == Service.unit_id)
        .join(Consumer, Consumer.id == UsageTotal.consumer_id)
        .join(receiver, receiver.id == Consumer.unit_id)
        .where(UsageTotal.period == month)).all())


def _driver_holders(session: Session, month: str, unit_of: dict[str, str]
                    ) -> dict[str, set[str]]:
    """Driver -> the units (as consumers) with a quantity of it in the month."""
    holders: dict[str, set[str]] = {}
    for driver, code in session.execute(
            select(DriverQuantity.driver, Consumer.code)
            .join(Consumer, Consumer.id == DriverQuantity.consumer_id)
            .where(DriverQuantity.period == month, Consumer.unit_id.is_not(None))):
        holders.setdefault(driver, set()).add(unit_of[code])
    return holders


def _receivers(rule: AllocationRule, holders: dict[str, set[str]],
               unit_of: dict[str, str]) -> set[str]:
    """The units a rule may charge: the consumers it names, else every holder of its driver."""
    named = [c for c, _ in rule.splits] + list(rule.consumers)
    if named:
        return {unit_of[c] for c in named if c in unit_of}
    return set(holders.get(rule.driver, ())) if rule.method == "driver" else set()


def every_in_force(session: Session, period: str) -> dict[int, tuple[AllocationRule, ...]]:
    """Unit id -> its rules for ``period``: the set with the latest ``effective_from <=
    period`` (one query for every unit)."""
    return {unit_id: _latest(sets, period) for unit_id, sets in _rule_sets(session).items()}


def rule_from_dict(data: dict) -> AllocationRule:
    """A stored (already checked) rule; percentages are kept as strings."""
    return AllocationRule(
        pool=data["pool"], method=data["method"], driver=data.get("driver"),
        splits=tuple((s["consumer"], Decimal(s["percent"])) for s in data.get("splits", ())),
        consumers=tuple(data.get("consumers", ())))


def rule_to_dict(rule: AllocationRule) -> dict:
    data: dict = {"pool": rule.pool, "method": rule.method}
    if rule.driver:
        data["driver"] = rule.driver
    if rule.splits:
        data["splits"] = [{"consumer": c, "percent": str(p)} for c, p in rule.splits]
    if rule.consumers:
        data["consumers"] = list(rule.consumers)
    return data


def _consumers(session: Session) -> dict[str, int | None]:
    return {code: unit_id for code, unit_id in session.execute(
        select(Consumer.code, Consumer.unit_id))}


def _shape_errors(data) -> list[RuleError]:
    if not isinstance(data, dict):
        return [RuleError(source="rules", field="(file)", message="must be a JSON object")]
    errors = [RuleError(source="rules", field=name, message="unknown field")
              for name in sorted(set(data) - TOP_FIELDS)]
    if not isinstance(data.get("unit"), str) or not data.get("unit"):
        errors.append(RuleError(source="rules", field="unit", message="is required"))
    if not isinstance(data.get("rules"), list):
        errors.append(RuleError(source="rules", field="rules", message="must be a list"))
    start = data.get("effective_from")
    if start is not None and not is_period(start):
        errors.append(RuleError(source="rules", field="effective_from",
                                message=f"'{start}' is not a period: write YYYY-MM"))
    return errors


def parse_rules(items: list, unit: Unit, consumers: dict[str, int | None]) -> tuple[
        list[AllocationRule], list[RuleError]]:
    rules, errors = [], []
    for number, item in enumerate(items, start=1):
        source = f"unit {unit.code} rule {number}"
        rule, problems = _parse_rule(item, source, unit, consumers)
        errors += problems
        if rule is not None:
            rules.append(rule)
    pools = [r.pool for r in rules]
    if "all" in pools and len(pools) > 1:
        errors.append(RuleError(source=f"unit {unit.code}", field="pool", message=(
            "'all' shares the unit's whole spend: it cannot be combined with other rules")))
    for pool in sorted({p for p in pools if pools.count(p) > 1}):
        errors.append(RuleError(source=f"unit {unit.code}", field="pool",
                                message=f"pool '{pool}' is shared by two rules"))
    return rules, errors


def _parse_rule(item, source: str, unit: Unit, consumers) -> tuple[AllocationRule | None,
                                                                    list[RuleError]]:
    if not isinstance(item, dict):
        return None, [RuleError(source=source, field="(rule)", message="must be an object")]
    errors = [RuleError(source=source, field=name, message="unknown field")
              for name in sorted(set(item) - RULE_FIELDS)]
    pool, method = item.get("pool"), item.get("method")
    if not isinstance(pool, str) or not pool:
        errors.append(RuleError(source=source, field="pool", message="is required"))
    if method not in RULE_METHODS:
        errors.append(RuleError(source=source, field="method",
                                message="must be 'driver' or 'fixed'"))
    splits, split_errors = _splits(item.get("splits"), source, unit, consumers)
    named = item.get("consumers") or []
    errors += split_errors + _named_consumer_errors(named, source, unit, consumers)
    driver = item.get("driver")
    if method == "driver" and not is_name(driver):
        errors.append(RuleError(source=source, field="driver", message=(
            "a driver rule needs a driver name (lower-case letters, digits and _)")))
    if method == "driver" and splits:
        errors.append(RuleError(source=source, field="splits",
                                message="a driver rule has no splits"))
    if method == "fixed":
        errors += _fixed_errors(item, splits, source)
    if errors:
        return None, errors
    return AllocationRule(pool=pool, method=method, driver=driver, splits=tuple(splits),
                          consumers=tuple(named)), []


def _fixed_errors(item: dict, splits, source: str) -> list[RuleError]:
    errors = []
    if item.get("driver") or item.get("consumers"):
        errors.append(RuleError(source=source, field="splits", message=(
            "a fixed rule names its consumers in splits, with no driver")))
    if not splits:
        errors.append(RuleError(source=source, field="splits",
                                message="a fixed rule needs splits"))
    total = sum((p for _, p in splits), Decimal(0))
    if splits and total != 100:
        errors.append(RuleError(source=source, field="splits",
                                message=f"percentages sum to {total}, not 100"))
    return errors


def _splits(raw, source, unit, consumers) -> tuple[list[tuple[str, Decimal]], list[RuleError]]:
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [RuleError(source=source, field="splits", message="must be a list")]
    splits, errors = [], []
    for i, entry in enumerate(raw):
        field = f"splits[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"consumer", "percent"}:
            errors.append(RuleError(source=source, field=field,
                                    message='write {"consumer": CODE, "percent": NUMBER}'))
            continue
        percent = _decimal(entry["percent"])
        if percent is None or percent < 0:
            errors.append(RuleError(source=source, field=f"{field}.percent",
                                    message=f"'{entry['percent']}' is not a percentage"))
            continue
        if percent.as_tuple().exponent < -PERCENT_DECIMALS:
            errors.append(RuleError(source=source, field=f"{field}.percent", message=(
                f"'{entry['percent']}' has more than {PERCENT_DECIMALS} decimals (a charge "
                f"line keeps its percentage with {PERCENT_DECIMALS})")))
        errors += _named_consumer_errors([entry["consumer"]], source, unit, consumers, field)
        splits.append((entry["consumer"], percent))
    codes = [c for c, _ in splits]
    errors += [RuleError(source=source, field="splits", message=f"{c} appears twice")
               for c in sorted(set(codes)) if codes.count(c) > 1]
    return splits, errors


def _named_consumer_errors(codes, source, unit, consumers, field="consumers") -> list[RuleError]:
    if not isinstance(codes, list):
        return [RuleError(source=source, field=field, message="must be a list of codes")]
    errors = []
    for code in codes:
        if code not in consumers:
            errors.append(RuleError(source=source, field=field,
                                    message=f"unknown consumer '{code}'"))
        elif consumers[code] == unit.id:
            errors.append(RuleError(source=source, field=field, message=(
                f"'{code}' is the unit itself: a unit cannot charge itself")))
    return errors


MAX_NUMBER_CHARS = 50
_PERCENT_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _decimal(value) -> Decimal | None:
    """A percentage from its text: ASCII digits, at most 50 characters and below 1e30 in
    size, checked before it is a Decimal (``1e999999999`` would overflow the sum)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return None
    if isinstance(value, int) and value.bit_length() > 128:
        return None
    text = str(value).strip()
    if len(text) > MAX_NUMBER_CHARS or not _PERCENT_TEXT.fullmatch(text):
        return None
    number = Decimal(text)
    return number if number.is_zero() or number.adjusted() < 30 else None
