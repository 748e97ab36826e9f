"""Two versions of a scorecard side by side: which criteria were added, removed or changed.

Pure: criteria come in as the scorecard file's dicts (``scorecard_to_dict``'s), matched by
key, so a criterion whose label or target changed is one changed row, not a removal and an
addition. Numbers are compared as the text of their value (4.5 and 4.50 are the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

FIELDS = ("label", "expr", "direction", "method", "target", "floor", "weight", "bands")
NUMBERS = ("target", "floor", "weight")


@dataclass(frozen=True, kw_only=True, slots=True)
class CriterionChange:
    """One key's row: ``status`` is added, removed, changed or same; ``fields`` the changed
    field names; ``old`` and ``new`` the criterion on each side (None where absent)."""

    key: str
    status: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[str, ...] = field(default=())


def compare(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[CriterionChange]:
    """The rows of the comparison: the new version's order, then what it removed."""
    before = {c["key"]: c for c in old}
    after = {c["key"]: c for c in new}
    rows = []
    for key, criterion in after.items():
        if key not in before:
            rows.append(CriterionChange(key=key, status="added", old=None, new=criterion))
            continue
        changed = tuple(name for name in FIELDS
                        if _value(before[key], name) != _value(criterion, name))
        rows.append(CriterionChange(key=key, status="changed" if changed else "same",
                                    old=before[key], new=criterion, fields=changed))
    rows += [CriterionChange(key=key, status="removed", old=criterion, new=None)
             for key, criterion in before.items() if key not in after]
    return rows


def _value(criterion: dict[str, Any], name: str) -> Any:
    value = criterion.get(name)
    if name in NUMBERS:
        return _number(value)
    if name == "bands":
        return tuple((_number(b.get("at")), _number(b.get("score"))) for b in value or ())
    return value


def _number(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)
