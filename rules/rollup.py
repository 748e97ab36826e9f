"""Roll-ups over the unit tree: money by plain sums with internal charges eliminated,
performance by each unit's attainment against its own scorecard (never one yardstick).

A charge between two units of the same subtree is money moving inside it: like an
intercompany transaction in a consolidation, it adds nothing to the subtree's spend or
charged. It is eliminated at the lowest group holding both units and at every group above.

A unit's budget covers everything it spends, its purchases from other units included, so
the budget is eliminated on the same basis: a group's budget is its units' budgets minus
the internal charges eliminated in the subtree. Spend and budget are then like for like,
and a group's variance is exactly the sum of its units' variances. A group with a unit
that has no budget has no budget: a partial sum would compare unlike things.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rules.model import BandThresholds, RollupNode, RollupRow, RuleError
from rules.money import CONTEXT, ZERO, percent_of
from rules.scoring import DEFAULT_THRESHOLDS, band_of
from rules.tree import tree_order as tree_order_of
from rules.vocabulary import BANDS

_WIDE = CONTEXT.copy()
_WIDE.prec = 100  # spend * attainment sums stay exact; only the final division rounds to 28


@dataclass(frozen=True, kw_only=True)
class _Subtree:
    """The sums a subtree hands up to its parent."""

    spend: Decimal = ZERO
    budget: Decimal = ZERO  # the budgets given; ``without_budget`` says who gave none
    without_budget: tuple[str, ...] = ()
    charged: Decimal = ZERO
    showback: Decimal = ZERO
    eliminated: Decimal = ZERO
    showback_eliminated: Decimal = ZERO
    weighted: Decimal = ZERO  # sum of spend * attainment over rated units
    rated_spend: Decimal = ZERO
    attainments: Decimal = ZERO  # plain sum of attainments, for the mean
    rated: int = 0
    bands: Counter = field(default_factory=Counter)


def roll_up(
    nodes: Sequence[RollupNode],
    internal: Sequence[tuple[str, str, Decimal]],
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> tuple[tuple[RollupRow, ...], list[RuleError]]:
    """One row per unit in tree order (depth first, children by code), subtree included.

    ``internal`` holds (from_unit, to_unit, amount), as ``AllocationResult.internal``.
    Group attainment = sum(spend * attainment) / sum(spend) over the rated units of the
    subtree, the unit itself included; the plain mean when that spend sums to 0; None
    (band "unrated") when no unit is rated. A group's budget is its units' budgets minus
    the internal charges eliminated (the basis of its spend); None when a unit of the
    subtree has no budget.
    """
    by_code = {node.code: node for node in nodes}
    order, errors = checked_tree_order(nodes)
    errors += [RuleError(source=f"internal charge {a} -> {b}", field="unit",
                         message="names a unit outside the tree")
               for a, b, _ in internal if a not in by_code or b not in by_code]
    errors += [RuleError(source=f"unit {node.code}", field="band",
                         message=f"unknown band {node.band}")
               for node in nodes if node.band not in BANDS]
    if errors:
        return (), errors
    eliminated = _eliminated_at(by_code, internal)
    showback_eliminated = _eliminated_at(
        by_code, [charge for charge in internal if by_code[charge[0]].showback])
    sums = {code: _own(by_code[code], eliminated.get(code, ZERO),
                       showback_eliminated.get(code, ZERO)) for code, _ in order}
    for code, _ in reversed(order):
        parent = by_code[code].parent
        if parent is not None:
            sums[parent] = _plus(sums[parent], sums[code])
    return tuple(_row(by_code[code], depth, sums[code], thresholds) for code, depth in order), []


def checked_tree_order(nodes: Sequence[RollupNode]) -> tuple[list[tuple[str, int]], list[RuleError]]:
    """(code, depth) depth first from the roots, children sorted by code; errors for
    duplicate codes, unknown parents and parent links that go round in a circle."""
    codes = Counter(node.code for node in nodes)
    errors = [RuleError(source=f"unit {code}", field="code", message="appears more than once")
              for code, count in sorted(codes.items()) if count > 1]
    errors += [RuleError(source=f"unit {node.code}", field="parent",
                         message=f"unknown parent {node.parent}")
               for node in nodes if node.parent is not None and node.parent not in codes]
    if errors:
        return [], errors
    order = tree_order_of({node.code: node.parent for node in nodes})
    placed = {code for code, _ in order}
    errors = [RuleError(source=f"unit {node.code}", field="parent",
                        message="its parents go round in a circle, never reaching a root")
              for node in sorted(nodes, key=lambda n: n.code) if node.code not in placed]
    return order, errors


def _eliminated_at(
    by_code: Mapping[str, RollupNode], internal: Sequence[tuple[str, str, Decimal]]
) -> dict[str, Decimal]:
    """Each internal charge, booked at the lowest unit whose subtree holds both ends.

    Summing these up the tree eliminates the charge at that unit and every one above it.
    Two units under different roots share no subtree, so nothing is eliminated for them.
    """
    eliminated: dict[str, Decimal] = {}
    for provider, receiver, amount in internal:
        above_provider = _path_to_root(by_code, provider)
        meeting = next((c for c in _path_to_root(by_code, receiver) if c in above_provider), None)
        if meeting is not None:
            eliminated[meeting] = eliminated.get(meeting, ZERO) + amount
    return eliminated


def _path_to_root(by_code: Mapping[str, RollupNode], code: str) -> list[str]:
    """The unit and its ancestors, nearest first."""
    path = [code]
    while by_code[path[-1]].parent is not None:
        path.append(by_code[path[-1]].parent)
    return path


def _own(node: RollupNode, eliminated: Decimal, showback_eliminated: Decimal) -> _Subtree:
    """A unit's own figures, before its children are added."""
    rated = node.attainment is not None
    return _Subtree(
        spend=node.spend, budget=node.budget if node.budget is not None else ZERO,
        without_budget=() if node.budget is not None else (node.code,),
        charged=node.charged, showback=node.charged if node.showback else ZERO,
        eliminated=eliminated, showback_eliminated=showback_eliminated,
        weighted=_WIDE.multiply(node.spend, node.attainment) if rated else ZERO,
        rated_spend=node.spend if rated else ZERO,
        attainments=node.attainment if rated else ZERO, rated=int(rated),
        bands=Counter({node.band: 1}),
    )


def _plus(a: _Subtree, b: _Subtree) -> _Subtree:
    """Two subtrees' sums together."""
    return _Subtree(
        spend=a.spend + b.spend, budget=a.budget + b.budget,
        without_budget=a.without_budget + b.without_budget,
        charged=a.charged + b.charged, showback=a.showback + b.showback,
        eliminated=a.eliminated + b.eliminated,
        showback_eliminated=a.showback_eliminated + b.showback_eliminated,
        weighted=_WIDE.add(a.weighted, b.weighted),
        rated_spend=a.rated_spend + b.rated_spend,
        attainments=_WIDE.add(a.attainments, b.attainments), rated=a.rated + b.rated,
        bands=a.bands + b.bands,
    )


def _row(node: RollupNode, depth: int, sums: _Subtree, thresholds: BandThresholds) -> RollupRow:
    """The printed row of a subtree: eliminations applied, group attainment and band."""
    spend = sums.spend - sums.eliminated
    charged = sums.charged - sums.eliminated
    budget = None if sums.without_budget else sums.budget - sums.eliminated
    attainment = _group_attainment(sums)
    return RollupRow(
        code=node.code, parent=node.parent, depth=depth, spend=spend, budget=budget,
        charged=charged, eliminated=sums.eliminated,
        showback=sums.showback - sums.showback_eliminated,
        without_budget=tuple(sorted(sums.without_budget)),
        recovery_pct=percent_of(charged, spend),
        attainment=attainment, band=band_of(attainment, thresholds),
        band_counts={name: sums.bands.get(name, 0) for name in BANDS},
    )


def _group_attainment(sums: _Subtree) -> Decimal | None:
    """Spend-weighted mean of the rated units; the plain mean when their spend sums to 0."""
    if sums.rated == 0:
        return None
    if sums.rated_spend != ZERO:
        return CONTEXT.divide(sums.weighted, sums.rated_spend)
    return CONTEXT.divide(sums.attainments, Decimal(sums.rated))
