"""marshmallow fields the API shares between input and output.

- ``DecimalString``: money and quantities as decimal strings, never floats. Input takes a
  decimal string, an integer, or a JSON number (read exactly, see ``ExactParser``).
  ``places=2`` gives money its two decimals (``places=1`` one, as pages show attainment);
  otherwise the plain stored value
  (``0.06``, ``10000``) without an exponent; ``exact=True`` keeps every stored digit
  (attainment and scores, which the database keeps at full precision).
- ``Text``: a string without NUL or lone surrogates (PostgreSQL refuses the first, UTF-8
  cannot carry the second), so bad input is a 422 and never a database error.
- ``Timestamp``: ISO 8601 with its offset, UTC for the naive values SQLite hands back.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from marshmallow import ValidationError, fields, validate

from rules.vocabulary import PERIOD_ANCHORED, period_problem

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
CENT = Decimal("0.01")
MAX_DIGITS = 40
"""A decimal in a request has at most 40 digits and a size within 1e-40..1e40 (or is 0):
checked on its text or its exponent before anything formats or computes with it."""
_DECIMAL_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def decimal_problem(number: Decimal) -> bool:
    """True when ``number`` is beyond ``MAX_DIGITS`` (digits or size): its exponent and
    digit count, no arithmetic."""
    if not number.is_finite():
        return True
    digits = len(number.as_tuple().digits)
    return digits > MAX_DIGITS or (not number.is_zero()
                                   and not -MAX_DIGITS <= number.adjusted() <= MAX_DIGITS)


def text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "NUL characters are not allowed."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Not valid Unicode text."
    return None


class Text(fields.String):
    """A string a database can store."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


def Said(what: str, max_length: int, **kwargs) -> Text:  # noqa: N802  (a field factory)
    """Words a person must give (a reason, a comment): spaces alone are none, and are
    refused here like an empty string (422 on the field), not deeper as a state error."""
    return Text(required=True, validate=[
        validate.Length(min=1, max=max_length),
        # Anchored at the start (marshmallow matches there, JSON Schema searches): some
        # character that is not a space, anywhere, so " late usage" is words.
        validate.Regexp(r"[\s\S]*\S", error=f"{what} is required: spaces alone are not one.")],
        **kwargs)


def Code(**kwargs) -> Text:  # noqa: N802  (a field factory, named like the fields)
    """A unit, service or consumer code: 1 to 64 characters."""
    return Text(validate=validate.Length(min=1, max=64), **kwargs)


class PeriodText(validate.Regexp):
    """``YYYY-MM`` from 1900-01 to 2999-12 (still a pattern in the OpenAPI document), its
    error in the product's words: a month out of range is told the range."""

    def __init__(self):
        super().__init__(PERIOD_ANCHORED)

    def __call__(self, value):
        problem = period_problem(value)
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:] + ".")
        return value


def Period(**kwargs) -> Text:  # noqa: N802
    """A ``YYYY-MM`` month."""
    metadata = {"example": "2026-03", **kwargs.pop("metadata", {})}
    return Text(validate=PeriodText(), metadata=metadata, **kwargs)


def plain(value: Decimal) -> str:
    """``0.06`` for ``0.060000``, ``10000`` for ``10000.000000``: no exponent, no padding."""
    if value == 0:
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecimalString(fields.Field):
    """A decimal that travels as a string."""

    default_error_messages = {
        "invalid": "Not a decimal number: write it as a string like \"12.50\".",
        "special": "Not a finite number.",
        "range": f"Out of range: a number has at most {MAX_DIGITS} digits and a size between "
                 f"1e-{MAX_DIGITS} and 1e{MAX_DIGITS}.",
    }

    def __init__(self, *, places: int | None = None, exact: bool = False, **kwargs):
        metadata = {"pattern": DECIMAL_PATTERN, **kwargs.pop("metadata", {})}
        metadata.setdefault("example", "0.00" if places == 2 else "12.5")
        super().__init__(metadata=metadata, **kwargs)
        self.places = places
        self.exact = exact

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if self.places is not None:
            return format(number.quantize(Decimal(1).scaleb(-self.places)), "f")
        return format(number, "f") if self.exact else plain(number)

    def _deserialize(self, value, attr, data, **kwargs):
        """A decimal string (plain: ASCII digits, a sign and a point) or a JSON number (read
        exactly by the parser), within ``MAX_DIGITS``."""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self.make_error("invalid")
        if isinstance(value, int) and value.bit_length() > 4 * MAX_DIGITS:
            raise self.make_error("range")
        if isinstance(value, str):
            text = value.strip()
            if text.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
                raise self.make_error("special")
            if text_problem(value) or not _DECIMAL_TEXT.fullmatch(text):
                raise self.make_error("invalid")
            if len(text) > 2 * MAX_DIGITS:
                raise self.make_error("range")
            value = text
        number = Decimal(value)
        if not number.is_finite():
            raise self.make_error("special")
        if decimal_problem(number):
            raise self.make_error("range")
        return number


class Timestamp(fields.Field):
    """An aware ISO 8601 timestamp (output only)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
