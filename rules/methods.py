"""The scoring methods: how a criterion's value becomes a score, one registry entry each.

A method says which of a criterion's fields it uses (``target``, ``floor``, ``bands``), what
else it requires of them, how it turns a value into a raw score (clamped to 0..100 by the
caller) and how it reads in an explanation. Everything else (validation, the API's schema,
the scorecard editor's fields) reads this registry and the database keeps no list of
methods, so a new method is one entry here plus its fields in the editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from rules.model import Criterion, RuleError
from rules.money import CONTEXT, HUNDRED, ZERO

LIMIT_FIELDS = ("target", "floor", "bands")
"""The fields of a criterion that some methods use and others do not."""

METHOD_NAME_LENGTH = 32
METHOD_NAME = re.compile(rf"^[a-z][a-z0-9_]{{0,{METHOD_NAME_LENGTH - 1}}}$")
"""What a method's name may be: it is stored on every criterion and rating row."""


@dataclass(frozen=True, kw_only=True)
class ScoringMethod:
    """One way to score a criterion (scoring.md "Scores")."""

    name: str
    summary: str  # one line for people: the editor's help and the docs
    uses: tuple[str, ...]  # which of LIMIT_FIELDS a criterion of this method must have
    raw_score: Callable[[Criterion, Decimal], Decimal]
    describe: Callable[[Criterion], str]  # "linear from 65 (0) to 45 (100)"
    check: Callable[[Criterion, str], list[RuleError]] | None = None  # beyond ``uses``

    def __post_init__(self):
        if not METHOD_NAME.match(self.name):
            raise ValueError(f"scoring method name {self.name!r}: lower-case letters, digits "
                             f"and _, starting with a letter, at most {METHOD_NAME_LENGTH}")
        unknown = set(self.uses) - set(LIMIT_FIELDS)
        if unknown:
            raise ValueError(f"scoring method {self.name}: unknown fields {sorted(unknown)}")


def reaches(direction: str, actual: Decimal, mark: Decimal) -> bool:
    """``actual >= mark`` when higher is better, ``actual <= mark`` when lower is."""
    return actual >= mark if direction == "higher" else actual <= mark


def show(value: Decimal) -> str:
    """A number as people write it: no exponent, at most four decimals for computed values."""
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"), context=CONTEXT).normalize(CONTEXT)
    return format(value, "f")


def finite(value: object) -> bool:
    """A Decimal that is a real number (not NaN, not infinite)."""
    return isinstance(value, Decimal) and value.is_finite()


# --- linear ---------------------------------------------------------------------------


def _linear(criterion: Criterion, actual: Decimal) -> Decimal:
    """100 at the target, 0 at the floor, a straight line between (clamped by the caller)."""
    if criterion.direction == "higher":
        return HUNDRED * (actual - criterion.floor) / (criterion.target - criterion.floor)
    return HUNDRED * (criterion.floor - actual) / (criterion.floor - criterion.target)


def _linear_errors(criterion: Criterion, source: str) -> list[RuleError]:
    """The target must lie on the better side of the floor, or the line has no slope."""
    target, floor = criterion.target, criterion.floor
    if not (finite(target) and finite(floor)):
        return []  # reported as missing or not a number
    where = {"source": source, "field": "target", "key": criterion.key}
    if criterion.direction == "higher" and not target > floor:
        return [RuleError(**where, message="must be above floor for a 'higher' criterion")]
    if criterion.direction == "lower" and not target < floor:
        return [RuleError(**where, message="must be below floor for a 'lower' criterion")]
    return []


LINEAR = ScoringMethod(
    name="linear", summary="0 at the floor, 100 at the target, a straight line between",
    uses=("target", "floor"), raw_score=_linear, check=_linear_errors,
    describe=lambda c: f"linear from {show(c.floor)} (0) to {show(c.target)} (100)")


# --- binary ---------------------------------------------------------------------------


def _binary(criterion: Criterion, actual: Decimal) -> Decimal:
    """All or nothing: 100 when the target is reached (inclusive), else 0."""
    return HUNDRED if reaches(criterion.direction, actual, criterion.target) else ZERO


def _describe_binary(criterion: Criterion) -> str:
    side = "above" if criterion.direction == "higher" else "below"
    return f"100 at or {side} {show(criterion.target)}, else 0"


BINARY = ScoringMethod(
    name="binary", summary="100 when the target is reached, else 0", uses=("target",),
    raw_score=_binary, describe=_describe_binary)


# --- bands ----------------------------------------------------------------------------


def _bands(criterion: Criterion, actual: Decimal) -> Decimal:
    """The best score among the bands the value reaches, 0 when it reaches none."""
    reached = [b.score for b in criterion.bands if reaches(criterion.direction, actual, b.at)]
    return max(reached, default=ZERO)


def _bands_errors(criterion: Criterion, source: str) -> list[RuleError]:
    """At least one band, scores within 0..100, no two bands at the same value."""
    where = {"source": source, "field": "bands", "key": criterion.key}
    if not criterion.bands:
        return [RuleError(**where, message="needs at least one band")]
    errors = []
    seen: set[Decimal] = set()
    for number, band in enumerate(criterion.bands, start=1):
        if not finite(band.at):
            errors.append(RuleError(**where, band=number,
                                    message=f"band {number}: at must be a number"))
        elif band.at in seen:
            errors.append(RuleError(**where, band=number, message=(
                f"band {number}: another band is already at {band.at}")))
        else:
            seen.add(band.at)
        if not finite(band.score) or not ZERO <= band.score <= HUNDRED:
            errors.append(RuleError(**where, band=number,
                                    message=f"band {number}: score must be between 0 and 100"))
    return errors


BANDS = ScoringMethod(
    name="bands", summary="the best score among the bands the value reaches, else 0",
    uses=("bands",), raw_score=_bands, check=_bands_errors,
    describe=lambda c: "bands " + ", ".join(f"{show(b.at)} -> {show(b.score)}"
                                            for b in c.bands))


# --- the registry ---------------------------------------------------------------------

METHODS: dict[str, ScoringMethod] = {m.name: m for m in (LINEAR, BINARY, BANDS)}


def users_of(field: str) -> tuple[str, ...]:
    """The methods that use ``field`` (target, floor or bands): what the editor shows when."""
    return tuple(name for name, method in METHODS.items() if field in method.uses)
