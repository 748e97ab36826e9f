"""Marshmallow fields for the import contract: codes, periods, money, prices, quantities.

Each field takes the cell's text and either returns a typed value or raises a
``ValidationError`` whose message is what the person who made the file needs to read.
Every field refuses a control character or a byte that is not UTF-8 first (``text``), and
quotes a cell in its message shortened (``quoted``).

Numbers are plain decimals: ASCII digits, an optional sign, an optional decimal point, and
``1,234.50`` (thousands separators); no exponent (``1e3``), no other digits (``١٢٣``,
``１２``), no ``_``. They are checked on their text (places, sign, digits before the point)
before a ``Decimal`` is made, so no size of number reaches any arithmetic.
"""

from __future__ import annotations

import re
from decimal import Decimal

from marshmallow import ValidationError, fields

from chargeback.importing.text import quoted, text_problem
from rules.vocabulary import FIRST_PERIOD, LAST_PERIOD, is_name, is_period, period_out_of_range

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
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


class Code(Text):
    """An identifier (unit, consumer, service code): case-sensitive, no inner spaces."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(ch.isspace() for ch in text):
            raise ValidationError(f"{quoted(text)} is not a code: codes have no spaces")
        return text


class Name(Text):
    """A measure or driver name: lower-case letters, digits and underscores."""

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not is_name(text):
            raise ValidationError(
                f"{quoted(text)} is not a valid name: use lower-case letters, digits and _ "
                "and start with a letter"
            )
        return text


class Period(Text):
    def __init__(self, **kwargs):
        super().__init__(max_length=7, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        if is_period(text):
            return text
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        if period_out_of_range(text):
            raise ValidationError(f"{quoted(text)} is outside the periods kept "
                                  f"({FIRST_PERIOD} to {LAST_PERIOD})")
        raise ValidationError(f"{quoted(text)} is not a period: write YYYY-MM, e.g. 2026-03")


PLAIN_RE = re.compile(r"([-+]?)([0-9]*)(?:\.([0-9]*))?")
EXPONENT_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+")
SMALL_EXPONENT_RE = re.compile(r"[-+]?[0-9]{1,15}(?:\.[0-9]{0,15})?[eE][-+]?[0-9]{1,2}")
NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


class Number(fields.Field):
    """A decimal with at most ``places`` decimals, below ``10 ** digits``; never through a
    float, and checked on its text before it becomes a Decimal."""

    def __init__(self, *, places: int, negative: bool = False, what: str = "number", **kw):
        kw.setdefault("error_messages", REQUIRED)
        super().__init__(**kw)
        self.places, self.negative, self.what = places, negative, what
        self.digits = 16 if places == 2 else 12  # abs(value) < 10 ** digits

    def _deserialize(self, value, attr, data, **kwargs):
        raw = str(value)
        problem = text_problem(raw)
        if problem:
            raise ValidationError(problem)
        text = raw.strip()
        if _grouped(text):
            text = text.replace(",", "")
        plain = PLAIN_RE.fullmatch(text)
        if plain is None or not (plain.group(2) or plain.group(3)):
            raise ValidationError(_not_plain(raw, text))
        sign, whole, fraction = plain.group(1), plain.group(2), plain.group(3) or ""
        if len(fraction) > self.places:
            raise ValidationError(
                f"{quoted(raw)} has more than {self.places} decimal places "
                f"({_plural(self.what)} have at most {self.places})"
            )
        if sign == "-" and not self.negative and (whole + fraction).strip("0"):
            raise ValidationError(f"{quoted(raw)} is negative: {_plural(self.what)} cannot be "
                                  "negative")
        if len(whole.lstrip("0")) > self.digits:
            raise ValidationError(f"{quoted(raw)} is too large")
        return Decimal(text)


def _not_plain(raw: str, text: str) -> str:
    """Why a cell is not a plain decimal, in words that say what to write instead."""
    if text.lower().lstrip("+-") in NOT_FINITE:
        return f"{quoted(raw)} is not a finite number"
    if SMALL_EXPONENT_RE.fullmatch(text):  # at most 32 digits and |exponent| < 100
        return (f"{quoted(raw)} is not a plain decimal number: write "
                f"{format(Decimal(text), 'f')} (digits 0-9, an optional sign and decimal point)")
    if EXPONENT_RE.fullmatch(text):
        return (f"{quoted(raw)} is not a plain decimal number: write it without an exponent "
                "(digits 0-9, an optional sign and decimal point)")
    if any(character.isdigit() and not character.isascii() for character in text):
        return f"{quoted(raw)} is not a number: write it with the digits 0-9"
    return f"{quoted(raw)} is not a number"


def _plural(what: str) -> str:
    return {"quantity": "quantities"}.get(what, what + "s")


GROUPED_RE = re.compile(r"\s*[-+]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?\s*")


def _grouped(text: str) -> bool:
    """``1,234.50`` as a spreadsheet exports it: commas only between groups of three digits."""
    return "," in text and bool(GROUPED_RE.fullmatch(text))


def Money(**kw) -> Number:  # noqa: N802  (reads like a field class)
    return Number(places=2, what="amount", **kw)


def Price(**kw) -> Number:  # noqa: N802
    return Number(places=6, what="price", **kw)


def Quantity(**kw) -> Number:  # noqa: N802
    return Number(places=6, what="quantity", **kw)
