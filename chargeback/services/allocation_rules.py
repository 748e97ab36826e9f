"""A unit's allocation rules (the rules JSON of interfaces.md): checked, stored, looked up.

The set in force for P is the latest with ``effective_from <= P``. Without an
``effective_from`` a set applies from the first month it can change (see
``periods.first_changeable``): the earliest open month when nothing is closed yet.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import AllocationRuleSet, Consumer, Unit
from chargeback.services.audit import record
from chargeback.services.periods import closed_problem, first_changeable
from rules.model import AllocationRule, RuleError
from rules.vocabulary import RULE_METHODS, is_name, is_period

TOP_FIELDS = {"unit", "rules", "effective_from"}
RULE_FIELDS = {"pool", "method", "driver", "splits", "consumers"}


def save_rules(session: Session, data, actor: str) -> tuple[AllocationRuleSet | None,
                                                             list[RuleError]]:
    """Store a unit's rule set, replacing one with the same start month (audited)."""
    errors = _shape_errors(data)
    if errors:
        return None, errors
    unit = session.scalar(select(Unit).where(Unit.code == data["unit"]))
    if unit is None:
        return None, [RuleError(source="rules", field="unit",
                                message=f"unknown unit '{data['unit']}'")]
    effective_from = data.get("effective_from") or first_changeable(session)
    problem = closed_problem(session, effective_from)
    rules, errors = parse_rules(data["rules"], unit, _consumers(session))
    if problem:
        errors.append(RuleError(source=f"unit {unit.code}", field="effective_from",
                                message=problem))
    if errors:
        return None, errors
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
    return rule_set, []


def in_force(session: Session, unit_id: int, period: str) -> tuple[AllocationRule, ...]:
    rule_set = session.scalar(
        select(AllocationRuleSet)
        .where(AllocationRuleSet.unit_id == unit_id, AllocationRuleSet.effective_from <= period)
        .order_by(AllocationRuleSet.effective_from.desc()).limit(1))
    return tuple(rule_from_dict(r) for r in rule_set.rules) if rule_set else ()


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


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
