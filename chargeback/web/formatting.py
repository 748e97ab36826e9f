"""How numbers look on the pages: money with two decimals, scores with one, half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BAND_CLASSES = {"exceeds": "success", "meets": "primary", "watch": "warning",
                "below": "danger", "unrated": "secondary"}


def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


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
