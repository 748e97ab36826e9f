"""How numbers look on the pages: money with two decimals and its currency, scores with
one, half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BAND_CLASSES = {"exceeds": "success", "meets": "primary", "watch": "warning",
                "below": "danger", "unrated": "secondary"}


def money(value, currency: str | None = None) -> str:
    """``1,234.50 USD`` (a no-break space before the code, so it never wraps alone)."""
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
    return f"{text}\u00a0{currency}" if currency else text


def one_decimal(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.1'), ROUND_HALF_UP):,.1f}"


def percent(value) -> str:
    return "—" if value is None else one_decimal(value) + " %"


def number(value) -> str:
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


def band_class(band: str | None) -> str:
    return BAND_CLASSES.get(band or "unrated", "secondary")
