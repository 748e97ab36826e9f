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
- and each with the share of that charge that **reached** the chain's service (``reach``):
  the service it feeds passed its costs on to all its consumers, not only down the chain,
  so only the part of its charges that went down the chain carries the upstream cost with
  it. reached(T -> X) = charged(T -> X) x (what of X's charges reached the chain's service
  / what X charged in all), exactly to the cent (the largest-remainder rule splits the
  charge into the part that reached and the rest); a link into the chain's service itself
  reached it whole. The reached shares add up to the **upstream cost behind the service**.

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


def reach(head: str, links: list[Link], revenue: Mapping[str, Decimal]) -> list[Link]:
    """``links`` (a chain of ``head``) each with the share of its charge that reached
    ``head``: all of it on a link into ``head``; on a link into X, the charge split by the
    largest-remainder rule in the proportion of X's charges that reached ``head`` (what
    X's own links carried there, summed over the services it feeds in the chain) to all
    X charged in the month (``revenue``), so nothing of X's charges counts twice."""
    feeding: dict[str, list[Link]] = defaultdict(list)
    for link in links:
        feeding[link.upstream].append(link)
    carried: dict[str, Decimal] = {head: ZERO}
    reached: dict[tuple[str, str], Decimal] = {}

    def reached_of(link: Link) -> Decimal:
        key = (link.upstream, link.downstream)
        if key not in reached:
            reached[key] = (link.amount if link.downstream == head else
                            passed_on(link.amount, carried_by(link.downstream),
                                      revenue.get(link.downstream, ZERO)))
        return reached[key]

    def carried_by(service: str) -> Decimal:
        if service not in carried:  # no cycles (the import refuses them): this ends
            carried[service] = sum((reached_of(link) for link in feeding[service]), ZERO)
        return carried[service]

    return [Link(upstream=link.upstream, downstream=link.downstream, depth=link.depth,
                 amount=link.amount, reached=reached_of(link)) for link in links]


def passed_on(amount: Decimal, carried: Decimal, revenue: Decimal) -> Decimal:
    """The part of ``amount`` (charged to a service that charged ``revenue`` in all) that
    went on with the ``carried`` part of that revenue, exactly to the cent: the
    largest-remainder split of ``amount`` into "reached" and "rest" (ties: "reached")."""
    if amount == ZERO or revenue <= ZERO or carried <= ZERO:
        return ZERO
    carried = min(carried, revenue)
    return split_largest_remainder(
        amount, {"reached": carried, "rest": revenue - carried})["reached"]


def total(links: list[Link]) -> Decimal:
    """The internal charges along the chain's links."""
    return sum((link.amount for link in links), ZERO)


def total_reached(links: list[Link]) -> Decimal:
    """The upstream cost behind the chain's service: what of each link reached it."""
    return sum((link.reached for link in links), ZERO)
