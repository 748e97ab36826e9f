"""One way to make numbers: every amount, price, quantity and score is a ``Decimal``.

Binary floating point cannot hold 0.10 exactly, and a ledger that is off by a cent after a
thousand additions is a ledger finance stops trusting. So nothing here accepts a float, and
all rounding goes through the three helpers below, each with its rounding mode named.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)

CONTEXT = decimal.Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The arithmetic context of the rules (the decimal default: 28 digits, half-even).

Fixed here rather than read from the thread, so a caller that changed its own decimal
context cannot change a score or a charge.
"""


def D(value: str | int | Decimal) -> Decimal:
    """Make a Decimal from text, an int or a Decimal; refuse floats and booleans.

    A float has already lost the exact value (``0.1`` is not one tenth), so it is a
    programming error (TypeError), not a rounding question. Text that is not a finite
    number is a ValueError: NaN and Infinity are not amounts.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise TypeError(f"D() takes str, int or Decimal, not {type(value).__name__}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except decimal.InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def cents(value: Decimal) -> Decimal:
    """Round to two places, half up (half away from zero: -2.345 -> -2.35).

    This is the rounding of a rated usage line: the figure a consumer can recompute
    from quantity and price with a pocket calculator.
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=CONTEXT)


def floor_to_cent(value: Decimal) -> Decimal:
    """Cut to two places toward zero (2.349 -> 2.34, -2.349 -> -2.34).

    The first step of a largest-remainder split; the spec splits a negative amount on
    its absolute value and signs the result, which is exactly rounding toward zero.
    """
    return value.quantize(CENT, rounding=ROUND_DOWN, context=CONTEXT)


def one_decimal(value: Decimal) -> Decimal:
    """Round to one place, half up, for display only (80.8333 -> 80.8, 84.75 -> 84.8).

    Stored figures keep full precision; roll-ups and bands use the unrounded value.
    """
    return value.quantize(TENTH, rounding=ROUND_HALF_UP, context=CONTEXT)


def is_cents(value: Decimal) -> bool:
    """True when a value has nothing below the cent (1.50, 2, -0.07), as money must."""
    return value == value.quantize(CENT, context=CONTEXT)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """``100 * part / whole`` at full precision, or None when ``whole`` is 0.

    Used for recovery % (charged over spend): a unit with no spend has no recovery
    rate, which is not the same as a rate of 0.
    """
    if whole == ZERO:
        return None
    return CONTEXT.divide(CONTEXT.multiply(HUNDRED, part), whole)


def weighted_mean(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """``sum(w * x) / sum(w)`` over (weight, value) pairs at full precision.

    None when the weights sum to 0 (or there are none): the caller decides what an
    empty average means (an unrated unit, or a plain mean for a group with no spend).
    """
    total_weight = ZERO
    total = ZERO
    for weight, value in pairs:
        total_weight = CONTEXT.add(total_weight, weight)
        total = CONTEXT.add(total, CONTEXT.multiply(weight, value))
    if total_weight == ZERO:
        return None
    return CONTEXT.divide(total, total_weight)
