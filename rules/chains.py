"""Service chains: what each upstream service charged along its link to a downstream one,
and how much of that reached the chain's service.

A service may depend on other units' services (the data center's compute behind a lab's HPC
service). The cascade (``allocation.md``) already moves the money: the data center charges
the lab, as a consumer, for the compute it used, and the lab passes that cost on through its
own charges. This module says how much of it each dependency carried in a month, from the
month's charges alone:

- what upstream service ``T`` **charged along the link** to downstream service ``S`` (of unit
  ``U``) = what ``T`` charged the consumers that are unit ``U`` in the month (its rated
  usage charges to ``U``), the internal charge behind the dependency;
- when several of ``U``'s services depend on ``T``, that amount is shared among them in
  proportion to what each charged its own consumers in the month (equally when none
  charged anything), exactly to the cent by the cascade's largest-remainder rule, ties to
  the lower code; so the shares add up to what ``T`` charged ``U``, never more;
- a chain lists every dependency upstream of a service, transitively, each with what it
  charged along the link (above, to the service it feeds): the links add up to
  the internal charges along the chain;
- and each with the share of it that **reached** the chain's service: the part of what the
  service's unit paid that the link stands for. A link into the chain's service reached it
  whole. What reached it through a service X further up (X's **carried** part: its own
  links' reached shares) is traced back through X's cost, not its revenue: the part of it
  that stands for T's charge into X is reached(T -> X) = carried(X) x charged(T -> X) /
  cost(X), where cost(X) = X's unit's spend x X's revenue / all the unit charged (X's
  share of its unit's cost); the rest is X's **own cost in it**. Exact to the cent (the
  largest-remainder rule splits carried(X) into the parts), never more than carried(X).
  So the own costs of the chain's upstream services add up to the **upstream cost behind
  the service**: what its unit paid the services at depth 1, broken down by where the cost
  started; nothing counts twice.

Charges by rule (driver or fixed splits) name no service, so they are no dependency's cost.
Pure: no database, no Flask.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rules.allocation import find_cycle, split_largest_remainder

ZERO = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class Link:
    """``upstream`` feeds ``downstream`` with ``amount`` in the month; ``depth`` 1 feeds the
    chain's own service, 2 a service that feeds it, and so on."""

    upstream: str
    downstream: str
    depth: int
    amount: Decimal
    reached: Decimal = ZERO


def dependency_cycle(depends_on: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle among the dependencies (service -> the services it depends on), written in
    the direction cost flows (upstream first, ``A -> B -> A``), or None."""
    feeds: dict[str, set[str]] = defaultdict(set)
    nodes = set(depends_on)
    for service, upstream in depends_on.items():
        for code in upstream:
            feeds[code].add(service)
            nodes.add(code)
    return find_cycle(sorted(nodes), feeds)


def contributions(depends_on: Mapping[str, set[str]], unit_of: Mapping[str, str],
                  charged: Mapping[tuple[str, str], Decimal],
                  revenue: Mapping[str, Decimal]) -> dict[tuple[str, str], Decimal]:
    """(upstream, downstream service) -> what the upstream charged along the link in the
    month.

    ``unit_of``: service -> its unit; ``charged``: (service, receiving unit) -> what the
    service charged that unit's consumers; ``revenue``: service -> what it charged all its
    consumers (the weights when several services of one unit depend on one upstream).
    """
    dependants: dict[tuple[str, str], list[str]] = defaultdict(list)
    for service, upstream in depends_on.items():
        for code in upstream:
            dependants[(code, unit_of[service])].append(service)
    found: dict[tuple[str, str], Decimal] = {}
    for (upstream, unit), services in dependants.items():
        amount = charged.get((upstream, unit), ZERO)
        for service, share in _shares(amount, sorted(services), revenue).items():
            found[(upstream, service)] = share
    return found


def _shares(amount: Decimal, services: list[str],
            revenue: Mapping[str, Decimal]) -> dict[str, Decimal]:
    if amount == ZERO:
        return dict.fromkeys(services, ZERO)
    weights = {s: max(revenue.get(s, ZERO), ZERO) for s in services}
    if sum(weights.values(), ZERO) == ZERO:
        weights = dict.fromkeys(services, Decimal(1))
    return split_largest_remainder(amount, weights)


def chain(head: str, depends_on: Mapping[str, set[str]],
          contributed: Mapping[tuple[str, str], Decimal]) -> list[Link]:
    """Every dependency upstream of ``head``, nearest first (by depth, then the service fed,
    then the upstream code); a service two links reach is listed on each link and its own
    dependencies once."""
    links: list[Link] = []
    seen = {head}
    queue = deque([(head, 1)])
    while queue:
        service, depth = queue.popleft()
        for upstream in sorted(depends_on.get(service, ())):
            links.append(Link(upstream=upstream, downstream=service, depth=depth,
                              amount=contributed.get((upstream, service), ZERO)))
            if upstream not in seen:
                seen.add(upstream)
                queue.append((upstream, depth + 1))
    return sorted(links, key=lambda link: (link.depth, link.downstream, link.upstream))


def reach(head: str, links: list[Link], revenue: Mapping[str, Decimal],
          unit_money: Mapping[str, tuple[Decimal, Decimal]]) -> list[Link]:
    """``links`` (a chain of ``head``) each with the part of what ``head``'s unit paid that
    it stands for: all of its charge on a link into ``head``; on links into X, what X
    carried down to ``head`` (its own links' reached shares, summed over the services it
    feeds in the chain) traced back through X's cost: split by the largest-remainder rule
    into a part per incoming link, weighed by its charge, and X's own part, weighed by the
    rest of X's cost (``traced_back``). So what reached ``head`` is never counted twice and
    never more than its downstream service carried. ``unit_money``: service -> (its unit's
    spend in the month, internal charges received included; what the unit charged in
    all)."""
    feeding: dict[str, list[Link]] = defaultdict(list)
    into: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        feeding[link.upstream].append(link)
        into[link.downstream].append(link)
    carried: dict[str, Decimal] = {}
    reached: dict[tuple[str, str], Decimal] = {}

    def reached_of(link: Link) -> Decimal:
        key = (link.upstream, link.downstream)
        if key not in reached:
            if link.downstream == head:
                reached[key] = link.amount
            else:
                service = link.downstream
                spend, charged = unit_money.get(service, (ZERO, ZERO))
                parts = traced_back(carried_by(service),
                                    {lk.upstream: lk.amount for lk in into[service]},
                                    spend, charged, revenue.get(service, ZERO))
                reached.update({(code, service): parts[code] for code in parts if code != OWN})
        return reached[key]

    def carried_by(service: str) -> Decimal:
        if service not in carried:  # no cycles (the import refuses them): this ends
            carried[service] = sum((reached_of(link) for link in feeding[service]), ZERO)
        return carried[service]

    return [Link(upstream=link.upstream, downstream=link.downstream, depth=link.depth,
                 amount=link.amount, reached=reached_of(link)) for link in links]


OWN = "~own"  # X's own part in ``traced_back`` (sorts after every service code: ties go to links)


def traced_back(carried: Decimal, charged: Mapping[str, Decimal], unit_spend: Decimal,
                unit_charged: Decimal, revenue: Decimal) -> dict[str, Decimal]:
    """What service X ``carried`` down the chain, split into the part that stands for each
    upstream charge into X (``charged``: upstream -> charged along its link) and X's own
    part (key ``OWN``), exactly to the cent.

    X's cost in the month is its share of its unit's: cost(X) = unit_spend x revenue /
    unit_charged (its revenue's share of all the unit charged). Each upstream part is
    carried x charged / cost(X); X's own part is carried x (cost(X) - the charges into X) /
    cost(X). The weights are these numerators times ``unit_charged``, so no division
    rounds. When the charges into X exceed cost(X) (X's unit put less of an upstream charge
    into X's prices than the link says), X's own weight is 0: the upstream parts then add up
    to ``carried``, never more. Nothing carried, or X without cost or revenue: 0.00 each,
    and X's own part is all of ``carried``.
    """
    parts = dict.fromkeys(charged, ZERO)
    positive = {code: amount for code, amount in charged.items() if amount > ZERO}
    if (carried <= ZERO or revenue <= ZERO or unit_spend <= ZERO or unit_charged <= ZERO
            or not positive):
        return parts | {OWN: carried}
    into = sum(positive.values(), ZERO)
    weights = {code: amount * unit_charged for code, amount in positive.items()}
    weights[OWN] = max(unit_spend * revenue - into * unit_charged, ZERO)
    return parts | split_largest_remainder(carried, weights)


def own_costs(links: list[Link]) -> dict[str, Decimal]:
    """Upstream service -> its own cost in the chain: what it carried down (its links'
    reached shares) less what stands for the charges into it (the reached shares of the
    links into it), nearest first. They add up to ``total_reached``."""
    own: dict[str, Decimal] = {}
    for link in links:
        own[link.upstream] = own.get(link.upstream, ZERO) + link.reached
    for link in links:
        if link.downstream in own:
            own[link.downstream] -= link.reached
    return own


def total(links: list[Link]) -> Decimal:
    """The internal charges along the chain's links."""
    return sum((link.amount for link in links), ZERO)


def total_reached(links: list[Link]) -> Decimal:
    """The upstream cost behind the chain's service: what its unit paid its direct upstream
    services for it (the links at depth 1), which the links further up only break down."""
    return sum((link.reached for link in links if link.depth == 1), ZERO)
