"""One marshmallow schema per import kind: the columns of ``interfaces.md`` and their types.

Required columns come first, optional ones after; ``COLUMNS`` keeps that order for the
header check and for documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import OneOf

from chargeback.importing.fields import (
    Code,
    Money,
    Name,
    Number,
    Period,
    Price,
    Quantity,
    Text,
)
from chargeback.importing.text import is_text, text_problem
from rules.vocabulary import (
    BILLING_MODES,
    DIRECTIONS,
    RESERVED_POOLS,
    is_ledger_measure,
)


def not_a_ledger_measure(value: str) -> None:
    if is_ledger_measure(value):
        raise ValidationError(
            f"'{value}' is derived from the ledger and cannot be imported as a metric"
        )


def not_a_reserved_pool(value: str) -> None:
    """Allocation rules give these pool names a meaning of their own (allocation.md)."""
    if value in RESERVED_POOLS:
        raise ValidationError(
            f"'{value}' is reserved for allocation rules (internal charges received, the "
            "whole spend, what usage left unrecovered); use another cost pool code"
        )


class RowSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # unknown columns are refused once, at the header, not per row


class UnitRow(RowSchema):
    code = Code(required=True)
    name = Text(required=True)
    parent_code = Code(load_default=None)
    service_model = Code(required=True)
    billing_mode = Text(
        max_length=64, load_default="chargeback",
        validate=OneOf(BILLING_MODES, error="'{input}' must be " + " or ".join(BILLING_MODES)),
    )
    recovery_account = Text(max_length=64, load_default=None)
    head_email = fields.Email(load_default=None, error_messages={"invalid": "not an e-mail address"})


class ConsumerRow(RowSchema):
    code = Code(required=True)
    name = Text(required=True)
    gl_account = Text(required=True, max_length=64)
    unit_code = Code(load_default=None)


class ServiceRow(RowSchema):
    code = Code(required=True)
    unit_code = Code(required=True)
    name = Text(required=True)
    uom = Text(required=True, max_length=64)
    owner_email = fields.Email(load_default=None,
                               error_messages={"invalid": "not an e-mail address"})


class OfferingRow(RowSchema):
    service_code = Code(required=True)
    code = Name(required=True)
    name = Text(required=True)


class SlaTargetRow(RowSchema):
    service_code = Code(required=True)
    offering = Name(required=True)
    measure = Name(required=True)
    target = Quantity(required=True, negative=True)
    direction = Text(
        required=True, max_length=64,
        validate=OneOf(DIRECTIONS, error="'{input}' must be " + " or ".join(DIRECTIONS)),
    )


class SlaResultRow(RowSchema):
    period = Period(required=True)
    service_code = Code(required=True)
    measure = Name(required=True)
    value = Quantity(required=True, negative=True)
    offering = Name(load_default=None)


class RateRow(RowSchema):
    service_code = Code(required=True)
    effective_from = Period(required=True)
    price = Price(required=True)


class SpendRow(RowSchema):
    period = Period(required=True)
    unit_code = Code(required=True)
    cost_pool = Code(required=True, validate=not_a_reserved_pool)
    amount = Money(required=True, negative=True)
    tower = Code(load_default=None)
    account = Text(max_length=64, load_default=None)
    description = Text(max_length=2000, load_default=None)


class BudgetRow(RowSchema):
    period = Period(required=True)
    unit_code = Code(required=True)
    amount = Money(required=True)


class MetricRow(RowSchema):
    period = Period(required=True)
    unit_code = Code(required=True)
    measure = Name(required=True, validate=not_a_ledger_measure)
    value = Quantity(required=True, negative=True)


class UsageRow(RowSchema):
    period = Period(required=True)
    consumer_code = Code(required=True)
    service_code = Code(required=True)
    quantity = Quantity(required=True)


class DriverRow(RowSchema):
    period = Period(required=True)
    consumer_code = Code(required=True)
    driver = Name(required=True)
    quantity = Quantity(required=True)


class DependencyRow(RowSchema):
    """``service_code`` depends on ``depends_on`` (a service of another unit); an empty
    ``depends_on`` says the service depends on nothing."""

    service_code = Code(required=True)
    depends_on = Code(load_default=None)


SCHEMAS: dict[str, type[RowSchema]] = {
    "units": UnitRow,
    "consumers": ConsumerRow,
    "services": ServiceRow,
    "offerings": OfferingRow,
    "sla_targets": SlaTargetRow,
    "rates": RateRow,
    "spend": SpendRow,
    "budget": BudgetRow,
    "metrics": MetricRow,
    "sla_results": SlaResultRow,
    "usage": UsageRow,
    "drivers": DriverRow,
    "dependencies": DependencyRow,
}


def columns(kind: str) -> tuple[list[str], list[str]]:
    """(required, optional) column names of a kind, in the contract's order."""
    schema = SCHEMAS[kind]()
    required = [name for name, f in schema.fields.items() if f.required]
    optional = [name for name, f in schema.fields.items() if not f.required]
    return required, optional


class RowValidator:
    """Validates rows with a kind's schema fields, one column at a time.

    Each column gets a converter compiled once (``converter``): the same types, messages and
    validators as the marshmallow field, without a ``Schema.load`` per row. A file's many
    repeats of one code or period are validated once (a million-row usage file names a few
    hundred consumers and services, not a million), and a plain number or short text that
    the field would accept as it is skips the field altogether.
    """

    def __init__(self, kind: str, header: list[str]):
        schema = SCHEMAS[kind]()
        self.columns = [(i, name, schema.fields[name], converter(schema.fields[name]))
                        for i, name in enumerate(header)]
        self.missing = [(n, f) for n, f in schema.fields.items() if n not in header]

    def validate(self, cells: list[str]) -> tuple[dict, dict[str, str]]:
        values: dict[str, object] = {}
        errors: dict[str, str] = {}
        width = len(cells)
        for index, name, field, convert in self.columns:
            raw = cells[index].strip() if index < width else ""
            if raw == "":
                if field.required:
                    errors[name] = field.error_messages["required"]
                else:
                    values[name] = field.load_default
                continue
            try:
                values[name] = convert(raw)
            except ValidationError as exc:
                errors[name] = first_message(exc)
        for name, field in self.missing:
            values[name] = field.load_default
        return values, errors


CACHE_LIMIT = 200_000  # distinct cells kept per column (a few MB at most)


def converter(field, numbers_as_text: bool = False) -> Callable[[str], object]:
    """A function from a non-empty, stripped cell to the field's value, or raising the
    field's ``ValidationError``; it accepts and refuses exactly what ``field`` does.

    ``numbers_as_text``: a number comes back as its canonical text (``1.50`` -> ``1.5``, as
    ``canonical_number`` writes it) instead of a ``Decimal``, for the bulk path, which hands
    text to the database and to the content checksum.
    """
    if isinstance(field, Code | Name | Period):
        return _cached(field.deserialize)
    if isinstance(field, Number):
        return _number(field, numbers_as_text)
    if type(field) is Text and not field.validators:
        limit, deserialize = field.max_length, field.deserialize
        return lambda raw: raw if len(raw) <= limit and is_text(raw) else deserialize(raw)
    if isinstance(field, Text):
        return field.deserialize
    return _checked(field.deserialize)


def _checked(deserialize) -> Callable[[str], object]:
    """A field of marshmallow's own (an e-mail address): a control character or a byte that
    is not UTF-8 is refused in this module's words before the field sees the cell."""

    def convert(raw: str):
        problem = text_problem(raw)
        if problem:
            raise ValidationError(problem)
        return deserialize(raw)

    return convert


def _cached(deserialize) -> Callable[[str], object]:
    """``deserialize`` once per distinct cell; ``convert.values`` maps each accepted cell to
    its value (in the order first seen), for callers that look a cell up before calling;
    ``convert.overflowed`` says whether it was ever emptied for being too large."""
    values: dict[str, object] = {}
    errors: dict[str, ValidationError] = {}

    def convert(raw: str):
        hit = values.get(raw)
        if hit is not None:
            return hit
        if raw in errors:
            raise errors[raw]
        try:
            hit = deserialize(raw)
        except ValidationError as exc:
            if len(errors) >= CACHE_LIMIT:
                errors.clear()
            errors[raw] = exc
            raise
        if len(values) >= CACHE_LIMIT:
            values.clear()
            convert.overflowed = True
        values[raw] = hit
        return hit

    convert.values = values
    convert.overflowed = False
    return convert


def _number(field: Number, as_text: bool) -> Callable[[str], object]:
    """A plain decimal the field accepts as it is (digits, an optional sign where negatives
    are allowed, at most ``places`` decimals, within the size limit) is read without the
    field's checks; anything else (``1,234.50``, ``1e3``, errors) goes through the field."""
    digits = 16 if field.places == 2 else 12  # Number refuses abs(value) >= 10 ** digits
    sign = "-?" if field.negative else ""
    plain = re.compile(f"{sign}[0-9]{{1,{digits}}}(?:\\.[0-9]{{1,{field.places}}})?").fullmatch
    deserialize = field.deserialize
    if not as_text:
        return lambda raw: Decimal(raw) if plain(raw) else deserialize(raw)

    # plain and already canonical: no leading zero (but "0"), no trailing decimal zero
    pattern = re.compile(f"{sign}(?:0|[1-9][0-9]{{0,{digits - 1}}})"
                         f"(?:\\.[0-9]{{0,{field.places - 1}}}[1-9])?")
    canonical = pattern.fullmatch

    def convert(raw: str) -> str:
        if canonical(raw):
            return raw
        if plain(raw):
            return _canonical_plain(raw)
        return canonical_number(deserialize(raw))

    convert.canonical = pattern  # the cells it returns as they are (``plain_csv``)
    return convert


def _canonical_plain(raw: str) -> str:
    """``canonical_number(Decimal(raw))`` for a plain ``-?digits[.digits]`` text, by string
    operations: leading zeros and trailing decimal zeros go."""
    sign = "-" if raw[0] == "-" else ""
    whole, _, fraction = raw.lstrip("-").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{sign}{whole}.{fraction}" if fraction else sign + whole


def canonical_number(value: Decimal) -> str:
    """A number's one spelling in the content checksum and on the bulk path: no exponent,
    no trailing decimal zeros (``1.50``, ``1.5`` and ``15E-1`` are all ``1.5``)."""
    return format(value.normalize(), "f")


def first_message(exc: ValidationError) -> str:
    messages = exc.messages
    while isinstance(messages, list | dict):
        messages = messages[0] if isinstance(messages, list) else next(iter(messages.values()))
    return str(messages)
