"""The unit tree's one order and its subtrees, for every list, roll-up, page and pack.

Depth first from the root, children by code: the order the Portfolio sheet, the pages and
the API all show, so a unit is always found in the same place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping


def tree_order(parents: Mapping[str, str | None]) -> list[tuple[str, int]]:
    """(code, depth) depth first, children by code.

    A unit whose parent is not in ``parents`` counts as a root, so a part of the tree (a
    unit head's units and below) orders the same way as the whole. Units whose parents go
    round in a circle, never reaching a root, are left out.
    """
    children: dict[str | None, list[str]] = defaultdict(list)
    for code in sorted(parents):
        parent = parents[code]
        children[parent if parent in parents else None].append(code)
    order: list[tuple[str, int]] = []
    stack = [(code, 0) for code in reversed(children[None])]
    while stack:
        code, depth = stack.pop()
        order.append((code, depth))
        stack += [(child, depth + 1) for child in reversed(children[code])]
    return order


def subtree(parents: Mapping[str, str | None], code: str) -> set[str]:
    """``code`` and every unit below it."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    seen, stack = set(), [code]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack += children[current]
    return seen
