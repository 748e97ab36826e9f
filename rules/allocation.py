"""Chargeback: turning each unit's cost into charges to its consumers (spec: allocation.md).

A period is allocated in one pass over the units in dependency order: a unit is allocated
only after every unit that charges it, because what it receives becomes its own spend (pool
``internal``) and its own rules may pass it on. Every check that does not depend on money
(prices, drivers, splits, cycles) runs first, so a close either produces every charge or
lists every reason it cannot; nothing is guessed and nothing is absorbed silently.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

from rules.model import (
    AllocationResult,
    AllocationRule,
    Charge,
    Consumer,
    JournalLine,
    RuleError,
    Service,
    UnitLedger,
    UnitTotals,
    UsageLine,
)
from rules.money import CONTEXT, HUNDRED, ZERO, cents, is_cents, percent_of
from rules.vocabulary import (
    BILLING_MODES,
    POOL_ALL,
    POOL_INTERNAL,
    POOL_UNRECOVERED,
    RESERVED_POOLS,
)

Weights = dict[str, Decimal]


# --- splitting an amount to the cent -------------------------------------------------


def split_largest_remainder(amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Share ``amount`` in proportion to ``weights``, exactly to the cent.

    Each code first gets ``floor_to_cent(amount * w / sum(w))``; the cents left over go one
    each to the largest remainders, ties to the lower code. A negative amount is split on
    its absolute value and signed. Integer arithmetic throughout, so no remainder is ever
    misjudged by rounding. Empty weights, a zero total, a negative weight or an amount
    below the cent are the caller's mistakes and raise ValueError.
    """
    total_weight = sum(weights.values(), ZERO)
    if not weights or total_weight == ZERO or any(w < ZERO for w in weights.values()):
        raise ValueError("weights must be non-negative with a positive total")
    if not is_cents(amount):
        raise ValueError(f"amount {amount} is not a whole number of cents")
    places = max(0, *(-w.as_tuple().exponent for w in weights.values()))
    scaled = {code: _as_integer(w, places) for code, w in weights.items()}
    denominator = sum(scaled.values())
    whole_cents = _as_integer(abs(amount), 2)
    floors = {code: whole_cents * w // denominator for code, w in scaled.items()}
    remainders = {code: whole_cents * w % denominator for code, w in scaled.items()}
    leftover = whole_cents - sum(floors.values())
    for code in heapq.nsmallest(leftover, scaled, key=lambda c: (-remainders[c], c)):
        floors[code] += 1
    sign = -1 if amount < ZERO else 1
    return {code: Decimal(sign * floors[code]).scaleb(-2) for code in weights}


def _as_integer(value: Decimal, places: int) -> int:
    """``value * 10**places`` as an exact int, for a value with nothing below ``places``
    decimals (``Decimal("1.000")`` at 2 places is 100: its last zero is dropped)."""
    numerator, denominator = value.as_integer_ratio()  # exact, denominator 2**a * 5**b
    number = abs(numerator) * 10**places // denominator
    return -number if numerator < 0 else number


def split_fixed(amount: Decimal, splits: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Share ``amount`` by percentages that sum to 100, with the same largest-remainder rule."""
    if sum((percent for _, percent in splits), ZERO) != HUNDRED:
        raise ValueError("fixed split percentages must sum to 100")
    return split_largest_remainder(amount, dict(splits))


# --- rated usage ---------------------------------------------------------------------


UsageTotals = Mapping[tuple[str, str], Decimal]
"""(consumer, service) -> the sum of its usage lines' quantities (``aggregate_usage``)."""


def rate_usage(
    period: str,
    usage: Iterable[UsageLine] | UsageTotals,
    *,
    services: Mapping[str, Service],
    consumers: Mapping[str, Consumer],
    prices: Mapping[str, Decimal],
) -> tuple[list[Charge], list[RuleError]]:
    """One charge per consumer and service: ``round_half_up(sum(quantity) * price, 2)``.

    Rounding once per consumer and service (not per usage line) keeps a bill free of
    per-line rounding drift, and a month of millions of usage lines to a few thousand
    charges. ``usage`` may hold many lines of a pair or one line each, or be the sums
    themselves (``UsageTotals``: the close sums them in the database and hands them over
    as they come, with no object per pair); each gives the same charges, ordered by
    consumer then service. Refused: a service with no price in force, an unknown service
    or consumer, and a unit using its own service (a unit cannot charge itself). One
    error per service and problem.
    """
    totals = usage if isinstance(usage, Mapping) else aggregate_usage(usage)
    charges: list[Charge] = []
    errors: dict[RuleError, None] = {}  # each problem once, in the order first seen
    bases: dict[str, str] = {}  # the basis in words, made once per service
    for consumer, code, quantity in _in_order(totals):
        service, buyer, rate = services.get(code), consumers.get(consumer), prices.get(code)
        if service is None or buyer is None or rate is None or buyer.unit == service.unit:
            errors[_usage_problem(period, consumer, code, service, consumers, prices)] = None
            continue
        basis = bases.get(code)
        if basis is None:
            basis = bases[code] = f"service {code} at {rate} per {service.uom}"
        charges.append(Charge(
            unit=service.unit, consumer=consumer, service=code, method="usage", basis=basis,
            quantity=quantity, rate=rate, amount=cents(CONTEXT.multiply(quantity, rate)),
        ))
    return charges, list(errors)


def _in_order(totals: UsageTotals) -> Iterator[tuple[str, str, Decimal]]:
    """(consumer, service, quantity) by consumer, then service: the consumers sorted
    once, then each one's few services, rather than every pair compared as a tuple (a
    third of the rating's time at 20,000 pairs)."""
    by_consumer: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for (consumer, service), quantity in totals.items():
        by_consumer[consumer][service] = quantity
    for consumer in sorted(by_consumer):
        quantities = by_consumer[consumer]
        for service in sorted(quantities):
            yield consumer, service, quantities[service]


def aggregate_usage(usage: Iterable[UsageLine]) -> dict[tuple[str, str], Decimal]:
    """(consumer, service) -> the sum of its usage lines' quantities, exactly."""
    totals: dict[tuple[str, str], Decimal] = {}
    for line in usage:
        key = (line.consumer, line.service)
        totals[key] = CONTEXT.add(totals.get(key, ZERO), line.quantity)
    return totals


def _usage_problem(
    period: str,
    consumer_code: str,
    code: str,
    service: Service | None,
    consumers: Mapping[str, Consumer],
    prices: Mapping[str, Decimal],
) -> RuleError | None:
    """Why a consumer's usage of service ``code`` cannot be rated, or None."""
    if service is None:
        return RuleError(source=f"usage by {consumer_code}", field="service",
                         message=f"unknown service {code} in {period}")
    source = f"unit {service.unit} service {service.code}"
    consumer = consumers.get(consumer_code)
    if consumer is None:
        return RuleError(source=source, field="consumer",
                         message=f"unknown consumer {consumer_code} in {period}")
    if consumer.unit == service.unit:
        return RuleError(source=source, field="consumer", message=(
            f"{consumer_code} is the unit's own consumer: a unit cannot charge itself ({period})"))
    if prices.get(service.code) is None:
        return RuleError(source=source, field="rate",
                         message=f"no rate in force for {period}")
    return None


# --- checking the period before any money moves --------------------------------------


def _index_errors(
    period: str,
    units: Sequence[UnitLedger],
    consumers: Sequence[Consumer],
    services: Sequence[Service],
) -> list[RuleError]:
    """Duplicate codes, links to unknown units, bad billing modes and spend lines."""
    unit_codes = {unit.code for unit in units}
    errors = _duplicates("unit", [u.code for u in units], period)
    errors += _duplicates("consumer", [c.code for c in consumers], period)
    errors += _duplicates("service", [s.code for s in services], period)
    for consumer in consumers:
        if consumer.unit is not None and consumer.unit not in unit_codes:
            errors.append(RuleError(source=f"consumer {consumer.code}", field="unit",
                                    message=f"unknown unit {consumer.unit} in {period}"))
    for service in services:
        if service.unit not in unit_codes:
            errors.append(RuleError(source=f"service {service.code}", field="unit",
                                    message=f"unknown unit {service.unit} in {period}"))
    for unit in units:
        errors += _ledger_errors(period, unit)
    return errors


def _duplicates(kind: str, codes: Sequence[str], period: str) -> list[RuleError]:
    """One error per code that appears more than once."""
    counts = Counter(codes)
    return [RuleError(source=f"{kind} {code}", field="code",
                      message=f"appears more than once in {period}")
            for code in sorted(code for code, count in counts.items() if count > 1)]


def _ledger_errors(period: str, unit: UnitLedger) -> list[RuleError]:
    """A unit's billing mode and external spend: known mode, no reserved pool, whole cents."""
    source = f"unit {unit.code}"
    errors = []
    if unit.billing_mode not in BILLING_MODES:
        errors.append(RuleError(source=source, field="billing_mode",
                                message="must be 'chargeback' or 'showback'"))
    for pool, amount in unit.spend_by_pool.items():
        if pool in RESERVED_POOLS:
            errors.append(RuleError(source=source, field="pool", message=(
                f"spend in {period} uses the reserved pool name {pool}")))
        elif not is_cents(amount):
            errors.append(RuleError(source=source, field="spend", message=(
                f"pool {pool} spend {amount} in {period} is not a whole number of cents")))
    return errors


def _rule_weights(
    period: str,
    units: Sequence[UnitLedger],
    consumers: Mapping[str, Consumer],
    drivers: Mapping[tuple[str, str], Decimal],
) -> tuple[dict[tuple[str, int], Weights], list[RuleError]]:
    """The weights of every rule of every unit, keyed (unit, rule number from 1).

    Known before any amount is, so a bad rule stops the close before anything is charged.
    """
    by_driver: dict[str, Weights] = defaultdict(dict)
    for (driver, consumer), quantity in drivers.items():
        by_driver[driver][consumer] = quantity
    weights: dict[tuple[str, int], Weights] = {}
    errors: list[RuleError] = []
    for unit in units:
        for number, rule in enumerate(unit.rules, start=1):
            source = f"unit {unit.code} rule {number}"
            found, problems = _weights_of(period, unit.code, rule, consumers, by_driver, source)
            weights[(unit.code, number)] = found
            errors += problems
    return weights, errors


def _weights_of(
    period: str,
    unit: str,
    rule: AllocationRule,
    consumers: Mapping[str, Consumer],
    by_driver: Mapping[str, Weights],
    source: str,
) -> tuple[Weights, list[RuleError]]:
    """One rule's consumer weights (driver quantities or percentages) and its problems."""
    if not isinstance(rule.pool, str) or not rule.pool:
        return {}, [RuleError(source=source, field="pool", message="is required")]
    if rule.method == "driver":
        return _driver_weights(period, unit, rule, consumers, by_driver, source)
    if rule.method == "fixed":
        return _fixed_weights(period, unit, rule, consumers, source)
    return {}, [RuleError(source=source, field="method", message="must be 'driver' or 'fixed'")]


def _driver_weights(
    period: str,
    unit: str,
    rule: AllocationRule,
    consumers: Mapping[str, Consumer],
    by_driver: Mapping[str, Weights],
    source: str,
) -> tuple[Weights, list[RuleError]]:
    """Driver quantities of the rule's consumers: the listed ones, or by default every
    consumer with a quantity for the driver except the unit's own consumers."""
    if not rule.driver or rule.splits:
        return {}, [RuleError(source=source, field="driver",
                              message="a driver rule needs a driver and no splits")]
    quantities = by_driver.get(rule.driver, {})
    if not rule.consumers:
        own = {code for code, consumer in consumers.items() if consumer.unit == unit}
        weights = {code: q for code, q in sorted(quantities.items()) if code not in own}
        errors = _consumer_errors(period, unit, weights, consumers, source)
    else:
        errors = _consumer_errors(period, unit, rule.consumers, consumers, source)
        weights = {code: quantities[code] for code in rule.consumers if code in quantities}
        errors += [RuleError(source=source, field="driver", message=(
            f"no {rule.driver} quantity for consumer {code} in {period}"))
            for code in rule.consumers if code not in quantities]
    return weights, errors + _total_errors(period, rule.driver, weights, source)


def _total_errors(period: str, driver: str, weights: Weights, source: str) -> list[RuleError]:
    """A driver must exist for the period, be non-negative and not sum to zero."""
    if not weights:
        return [RuleError(source=source, field="driver",
                          message=f"no quantities for driver {driver} in {period}")]
    negative = [code for code, q in weights.items() if q < ZERO]
    if negative:
        return [RuleError(source=source, field="driver", message=(
            f"driver {driver} is negative for {', '.join(negative)} in {period}"))]
    if sum(weights.values(), ZERO) == ZERO:
        return [RuleError(source=source, field="driver",
                          message=f"driver {driver} sums to zero in {period}")]
    return []


def _fixed_weights(
    period: str,
    unit: str,
    rule: AllocationRule,
    consumers: Mapping[str, Consumer],
    source: str,
) -> tuple[Weights, list[RuleError]]:
    """Percentages per consumer: known consumers, not negative, summing to exactly 100."""
    if rule.driver or rule.consumers or not rule.splits:
        return {}, [RuleError(source=source, field="splits",
                              message="a fixed rule needs splits and no driver or consumers")]
    codes = [code for code, _ in rule.splits]
    errors = _consumer_errors(period, unit, codes, consumers, source, field="splits")
    errors += [RuleError(source=source, field="splits",
                         message=f"{code} appears twice ({period})")
               for code, count in sorted(Counter(codes).items()) if count > 1]
    total = sum((percent for _, percent in rule.splits), ZERO)
    if any(percent < ZERO for _, percent in rule.splits):
        errors.append(RuleError(source=source, field="splits",
                                message=f"percentages must not be negative ({period})"))
    if total != HUNDRED:
        errors.append(RuleError(source=source, field="splits",
                                message=f"percentages sum to {total}, not 100 ({period})"))
    return dict(rule.splits), errors


def _consumer_errors(
    period: str,
    unit: str,
    codes: Sequence[str],
    consumers: Mapping[str, Consumer],
    source: str,
    field: str = "consumers",
) -> list[RuleError]:
    """Each consumer a rule names must exist and must not be the unit itself."""
    errors = []
    for code in codes:
        consumer = consumers.get(code)
        if consumer is None:
            errors.append(RuleError(source=source, field=field,
                                    message=f"unknown consumer {code} in {period}"))
        elif consumer.unit == unit:
            errors.append(RuleError(source=source, field=field, message=(
                f"{code} is the unit's own consumer: a unit cannot charge itself ({period})")))
    return errors


# --- dependency order ----------------------------------------------------------------


def dependency_order(
    period: str, units: Sequence[str], edges: Mapping[str, set[str]]
) -> tuple[tuple[str, ...], list[RuleError]]:
    """Units ordered so that every provider comes before the units it charges.

    ``edges[a]`` holds the units ``a`` charges. Among units free to go, the lowest code goes
    first, so the order is the same on every run. A cycle is refused, naming its units.
    """
    incoming = dict.fromkeys(units, 0)
    for provider in units:
        for receiver in edges.get(provider, ()):
            incoming[receiver] += 1
    ready = [code for code, count in incoming.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        code = heapq.heappop(ready)
        order.append(code)
        for receiver in edges.get(code, ()):
            incoming[receiver] -= 1
            if incoming[receiver] == 0:
                heapq.heappush(ready, receiver)
    if len(order) == len(incoming):
        return tuple(order), []
    placed = set(order)
    cycle = _a_cycle({code for code in units if code not in placed}, edges)
    return (), [RuleError(source=f"period {period}", field="units", message=(
        "internal charges form a cycle: " + " -> ".join(cycle)))]


def find_cycle(nodes: Sequence[str], edges: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of the graph ``edges`` (node -> the nodes it feeds) as a closed walk in
    the direction of the edges (``A, B, A``), or None: the cascade's own test, for any
    graph (service dependencies use it too), so both name a circle the same way."""
    order, errors = dependency_order("", nodes, edges)
    if not errors:
        return None
    placed = set(order)
    return _a_cycle({code for code in nodes if code not in placed}, edges)


def _a_cycle(left: set[str], edges: Mapping[str, set[str]]) -> list[str]:
    """One cycle among the units a topological sort could not place.

    Each of them is charged by another of them, so walking back from charged to charger
    must come round; the walk is reversed to read in the direction money flows.
    """
    chargers = {code: sorted(p for p in left if code in edges.get(p, ())) for code in left}
    walk = [min(left)]
    while walk[-1] not in walk[:-1]:
        walk.append(chargers[walk[-1]][0])
    start = walk.index(walk[-1])
    return list(reversed(walk[start:]))


def _edges(
    units: Sequence[UnitLedger],
    consumers: Mapping[str, Consumer],
    rated: Sequence[Charge],
    weights: Mapping[tuple[str, int], Weights],
) -> dict[str, set[str]]:
    """Which units each unit may charge: through usage, or a consumer its rules name."""
    pairs = [(charge.unit, charge.consumer) for charge in rated]
    pairs += [(unit, code) for (unit, _), found in weights.items() for code in found]
    return charge_graph((unit.code for unit in units),
                        ((provider, consumers[code].unit if code in consumers else None)
                         for provider, code in pairs))


def charge_graph(units: Iterable[str],
                 pairs: Iterable[tuple[str, str | None]]) -> dict[str, set[str]]:
    """Unit -> the units it charges, from (providing unit, receiving unit) pairs; a charge
    to a business consumer (no unit) or to the unit itself is no edge. The close orders the
    units by this graph and a rule set is checked against it: one definition of a circle."""
    edges: dict[str, set[str]] = {unit: set() for unit in units}
    for provider, receiver in pairs:
        if receiver is not None and receiver != provider:
            edges[provider].add(receiver)
    return edges


# --- the whole period ----------------------------------------------------------------


def allocate(
    period: str,
    units: Sequence[UnitLedger],
    consumers: Sequence[Consumer],
    services: Sequence[Service],
    prices: Mapping[str, Decimal],
    usage: Iterable[UsageLine] | UsageTotals,
    drivers: Mapping[tuple[str, str], Decimal],
) -> tuple[AllocationResult | None, list[RuleError]]:
    """Allocate one period: rated usage, then each unit's rules, in dependency order.

    ``prices`` maps a service code to its price in force for the period; ``usage`` holds
    usage lines or their sums (``rate_usage``); ``drivers`` maps (driver, consumer) to a
    quantity. Returns None and every error when the data does not allow a charge (no
    price, missing or zero drivers, splits not summing to 100, a cycle).
    """
    errors = _index_errors(period, units, consumers, services)
    if errors:
        return None, errors
    consumer_map = {consumer.code: consumer for consumer in consumers}
    service_map = {service.code: service for service in services}
    rated, errors = rate_usage(period, usage, services=service_map, consumers=consumer_map,
                               prices=prices)
    weights, rule_errors = _rule_weights(period, units, consumer_map, drivers)
    errors += rule_errors
    if errors:
        return None, errors
    edges = _edges(units, consumer_map, rated, weights)
    order, errors = dependency_order(period, [unit.code for unit in units], edges)
    if errors:
        return None, errors
    return _cascade(period, units, consumer_map, rated, weights, order), []


def _cascade(
    period: str,
    units: Sequence[UnitLedger],
    consumers: Mapping[str, Consumer],
    rated: Sequence[Charge],
    weights: Mapping[tuple[str, int], Weights],
    order: tuple[str, ...],
) -> AllocationResult:
    """Charge unit after unit, passing what each charges a unit on as that unit's spend."""
    ledgers = {unit.code: unit for unit in units}
    rated_by_unit: dict[str, list[Charge]] = defaultdict(list)
    for charge in rated:
        rated_by_unit[charge.unit].append(charge)
    received: dict[str, Decimal] = defaultdict(lambda: ZERO)
    internal: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    charges: list[Charge] = []
    totals: dict[str, UnitTotals] = {}
    for code in order:
        unit, rated_here = ledgers[code], rated_by_unit[code]
        made = rated_here + _rule_charges(unit, received[code], rated_here, weights)
        for charge in made:
            receiver = consumers[charge.consumer].unit
            if receiver is not None:
                received[receiver] += charge.amount
                internal[(code, receiver)] += charge.amount
        charges += made
        totals[code] = _totals(unit, received[code], made)
    return AllocationResult(
        period=period, charges=tuple(charges), totals=totals, order=order,
        internal=tuple((a, b, amount) for (a, b), amount in sorted(internal.items())),
    )


def _rule_charges(
    unit: UnitLedger,
    received: Decimal,
    rated: Sequence[Charge],
    weights: Mapping[tuple[str, int], Weights],
) -> list[Charge]:
    """The charges of a unit's driver and fixed rules, in rule order, consumers by code.

    Consumers whose share is 0.00 get no charge line.
    """
    charges = []
    rated_total = sum((charge.amount for charge in rated), ZERO)
    for number, rule in enumerate(unit.rules, start=1):
        found = weights[(unit.code, number)]
        amount = pool_amount(rule.pool, unit, received, rated_total)
        for code, share in sorted(split_largest_remainder(amount, found).items()):
            if share != ZERO:
                charges.append(_rule_charge(unit.code, rule, code, found[code], share))
    return charges


def _rule_charge(unit: str, rule: AllocationRule, consumer: str, weight: Decimal,
                 amount: Decimal) -> Charge:
    """One consumer's share of a rule, with the basis in words."""
    if rule.method == "driver":
        return Charge(unit=unit, consumer=consumer, service=None, method="driver",
                      basis=f"pool {rule.pool} by {rule.driver}", quantity=weight, rate=None,
                      amount=amount, pool=rule.pool, driver=rule.driver)
    return Charge(unit=unit, consumer=consumer, service=None, method="fixed",
                  basis=f"pool {rule.pool} fixed {weight}%", quantity=None, rate=None,
                  amount=amount, pool=rule.pool, percent=weight)


def pool_amount(pool: str, unit: UnitLedger, received: Decimal, rated: Decimal) -> Decimal:
    """The amount a rule shares: a pool's spend, ``all`` the unit's whole spend (internal
    received included), ``unrecovered`` what rated usage left (spend - rated, if positive).

    A pool with no spend in the period shares 0. Each rule reads the unit's spend, not
    what earlier rules left: two rules on overlapping pools charge the overlap twice.
    """
    spend = unit_spend(unit, received)
    if pool == POOL_ALL:
        return spend
    if pool == POOL_UNRECOVERED:
        return max(spend - rated, ZERO)
    if pool == POOL_INTERNAL:
        return received
    return unit.spend_by_pool.get(pool, ZERO)


def unit_spend(unit: UnitLedger, received: Decimal) -> Decimal:
    """A unit's spend in the period: its external spend lines plus internal charges received."""
    return sum(unit.spend_by_pool.values(), ZERO) + received


def _totals(unit: UnitLedger, received: Decimal, made: Sequence[Charge]) -> UnitTotals:
    """Spend (internal included), charged (everything billed), absorbed and recovery %."""
    spend = unit_spend(unit, received)
    charged = sum((charge.amount for charge in made), ZERO)
    return UnitTotals(unit=unit.code, spend=spend, internal_received=received, charged=charged,
                      absorbed=spend - charged, recovery_pct=percent_of(charged, spend))


# --- checks and the journal ----------------------------------------------------------


def check_conservation(result: AllocationResult, external_spend_total: Decimal) -> list[RuleError]:
    """Money is conserved: charges to non-unit consumers + every unit's absorbed = external spend.

    ``external_spend_total`` is the sum of the period's spend lines, read from the ledger by
    the caller, not from ``result``, so a unit left out of the allocation is caught too.
    """
    internal = sum((amount for _, _, amount in result.internal), ZERO)
    received = sum((t.internal_received for t in result.totals.values()), ZERO)
    to_consumers = sum((c.amount for c in result.charges), ZERO) - internal
    absorbed = sum((t.absorbed for t in result.totals.values()), ZERO)
    errors = []
    if received != internal:
        errors.append(RuleError(source=f"period {result.period}", field="internal", message=(
            f"units received {received} of internal charges but {internal} were made")))
    if to_consumers + absorbed != external_spend_total:
        errors.append(RuleError(source=f"period {result.period}", field="conservation", message=(
            f"charges to consumers {to_consumers} + absorbed {absorbed} = "
            f"{to_consumers + absorbed}, but external spend is {external_spend_total}")))
    return errors


def build_journal(
    period: str,
    result: AllocationResult,
    units: Sequence[UnitLedger],
    consumers: Sequence[Consumer],
    currency: str,
) -> tuple[list[JournalLine], list[RuleError]]:
    """The GL journal: per chargeback unit, a debit per consumer and a credit for the total.

    Showback units post nothing. A consumer whose net charge is negative (a credit) gets a
    credit line, and the same for the unit's total, so no column ever holds a negative.
    Consumers netting to 0.00 get no line; a unit netting nothing at all posts no journal.
    """
    accounts = {consumer.code: consumer.gl_account for consumer in consumers}
    by_unit: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for charge in result.charges:
        nets = by_unit[charge.unit]
        nets[charge.consumer] = nets.get(charge.consumer, ZERO) + charge.amount
    lines: list[JournalLine] = []
    errors: list[RuleError] = []
    for unit in sorted(units, key=lambda u: u.code):
        nets = {c: a for c, a in sorted(by_unit.get(unit.code, {}).items()) if a != ZERO}
        if unit.billing_mode == "chargeback" and nets:
            made, problems = _unit_journal(period, unit, nets, accounts, currency)
            lines += made
            errors += problems
    return lines, errors


def _unit_journal(
    period: str,
    unit: UnitLedger,
    nets: Mapping[str, Decimal],
    accounts: Mapping[str, str],
    currency: str,
) -> tuple[list[JournalLine], list[RuleError]]:
    """One unit's journal lines, or the reasons it cannot be posted."""
    source = f"unit {unit.code}"
    errors = []
    if not unit.recovery_account:
        errors.append(RuleError(source=source, field="recovery_account", message=(
            f"a chargeback unit with charges in {period} needs a recovery account")))
    errors += [RuleError(source=f"consumer {code}", field="gl_account",
                         message=f"is required to post {unit.code}'s charges in {period}")
               for code in nets if not accounts.get(code)]
    if errors:
        return [], errors
    journal = f"CB-{period}-{unit.code}"
    description = f"Chargeback {period} from {unit.code}"
    lines = [_posting(journal, period=period, unit=unit.code, currency=currency,
                      account=accounts[code], consumer=code, description=description,
                      amount=amount)
             for code, amount in nets.items()]
    total = sum(nets.values(), ZERO)
    lines.append(_posting(journal, period=period, unit=unit.code, currency=currency,
                          account=unit.recovery_account, consumer=None,
                          description=f"Recovery {period} {unit.code}", amount=-total))
    return lines, []


def _posting(journal: str, *, period: str, unit: str, currency: str, account: str,
             consumer: str | None, description: str, amount: Decimal) -> JournalLine:
    """A journal line for a signed amount: positive is a debit, negative a credit."""
    return JournalLine(journal=journal, period=period, unit=unit, account=account,
                       consumer=consumer, description=description, debit=max(amount, ZERO),
                       credit=max(-amount, ZERO), currency=currency)


def check_journal_balance(lines: Sequence[JournalLine]) -> list[RuleError]:
    """Debits equal credits in every journal (one per unit and period), and no negatives."""
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    errors = []
    for line in lines:
        sums[line.journal][0] += line.debit
        sums[line.journal][1] += line.credit
        if line.debit < ZERO or line.credit < ZERO:
            errors.append(RuleError(source=f"journal {line.journal}", field="amount",
                                    message=f"negative amount on account {line.account}"))
    errors += [RuleError(source=f"journal {journal}", field="balance",
                         message=f"debits {debit} do not equal credits {credit}")
               for journal, (debit, credit) in sorted(sums.items()) if debit != credit]
    return errors
