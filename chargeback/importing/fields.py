"""Marshmallow fields for the import contract: codes, periods, money, prices, quantities.

Each field takes the cell's text and either returns a typed value or raises a
``ValidationError`` whose message is what the person who made the file needs to read.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

from rules.vocabulary import is_name, is_period

REQUIRED = {"required": "required: the cell is empty"}


class Text(fields.Field):
    """Stripped text with a length limit; an empty cell counts as missing."""

    def __init__(self, *, max_length: int = 200, **kwargs):
        kwargs.setdefault("error_messages", REQUIRED)
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        if len(text) > self.max_length:
            raise ValidationError(f"longer than {self.max_length} characters")
        return text


class Code(Text):
    """An identifier (unit, consumer, service code): case-sensitive, no inner spaces."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ch.isspace() for ch in text):
            raise ValidationError(f"'{text}' is not a code: codes have no spaces")
        return text


class Name(Text):
    """A measure or driver name: lower-case letters, digits and underscores."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_name(text):
            raise ValidationError(
                f"'{text}' is not a valid name: use lower-case letters, digits and _ "
                "and start with a letter"
            )
        return text


class Period(Text):
    def __init__(self, **kwargs):
        super().__init__(max_length=7, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        if not is_period(text):
            raise ValidationError(f"'{text}' is not a period: write YYYY-MM, e.g. 2026-03")
        return text


class Number(fields.Field):
    """A decimal with at most ``places`` decimals; never through a float."""

    def __init__(self, *, places: int, negative: bool = False, what: str = "number", **kw):
        kw.setdefault("error_messages", REQUIRED)
        super().__init__(**kw)
        self.places, self.negative, self.what = places, negative, what

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip().replace(",", "") if _grouped(str(value)) else str(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"'{value}' is not a number") from None
        if not number.is_finite():
            raise ValidationError(f"'{value}' is not a finite number")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.places:
            raise ValidationError(
                f"'{value}' has more than {self.places} decimal places "
                f"({_plural(self.what)} have at most {self.places})"
            )
        if number < 0 and not self.negative:
            raise ValidationError(f"'{value}' is negative: {_plural(self.what)} cannot be "
                                  "negative")
        # abs(number) >= 10 ** limit, without arithmetic: 1e999999999 would overflow it
        if number and number.adjusted() >= (16 if self.places == 2 else 12):
            raise ValidationError(f"'{value}' is too large")
        return number


def _plural(what: str) -> str:
    return {"quantity": "quantities"}.get(what, what + "s")


GROUPED_RE = re.compile(r"\s*-?\d{1,3}(,\d{3})+(\.\d+)?\s*")


def _grouped(text: str) -> bool:
    """``1,234.50`` as a spreadsheet exports it: commas only between groups of three digits."""
    return "," in text and bool(GROUPED_RE.fullmatch(text))


def Money(**kw) -> Number:  # noqa: N802  (reads like a field class)
    return Number(places=2, what="amount", **kw)


def Price(**kw) -> Number:  # noqa: N802
    return Number(places=6, what="price", **kw)


def Quantity(**kw) -> Number:  # noqa: N802
    return Number(places=6, what="quantity", **kw)
