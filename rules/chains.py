"""Service chains: the cost each upstream service contributed to a downstream one.

A service may depend on other units' services (the data center's compute behind a lab's HPC
service). The cascade (``allocation.md``) already moves the money: the data center charges
the lab, as a consumer, for the compute it used, and the lab passes that cost on through its
own charges. This module says how much of it each dependency carried in a month, from the
month's charges alone:

- **cost contributed** by upstream service ``T`` to downstream service ``S`` (of unit
  ``U``) = what ``T`` charged the consumers that are unit ``U`` in the month (its rated
  usage charges to ``U``), the internal charge behind the dependency;
- when several of ``U``'s services depend on ``T``, that amount is shared among them in
  proportion to what each charged its own consumers in the month (equally when none
  charged anything), exactly to the cent by the cascade's largest-remainder rule, ties to
  the lower code; so the shares add up to what ``T`` charged ``U``, never more;
- a chain lists every dependency upstream of a service, transitively, each with the cost
  it contributed to the service it feeds (not a share of it traced further down): the
  chain's costs add up to the internal charges along its links.

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
    """(upstream, downstream service) -> the cost the upstream contributed in the month.

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


def total(links: list[Link]) -> Decimal:
    return sum((link.amount for link in links), ZERO)
