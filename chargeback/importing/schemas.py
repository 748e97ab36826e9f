"""One marshmallow schema per import kind: the columns of ``interfaces.md`` and their types.

Required columns come first, optional ones after; ``COLUMNS`` keeps that order for the
header check and for documentation.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import OneOf

from chargeback.importing.fields import Code, Money, Name, Period, Price, Quantity, Text
from rules.vocabulary import BILLING_MODES, RESERVED_POOLS, is_ledger_measure


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
    billing_mode = fields.String(
        load_default="chargeback",
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


SCHEMAS: dict[str, type[RowSchema]] = {
    "units": UnitRow,
    "consumers": ConsumerRow,
    "services": ServiceRow,
    "rates": RateRow,
    "spend": SpendRow,
    "budget": BudgetRow,
    "metrics": MetricRow,
    "usage": UsageRow,
    "drivers": DriverRow,
}


def columns(kind: str) -> tuple[list[str], list[str]]:
    """(required, optional) column names of a kind, in the contract's order."""
    schema = SCHEMAS[kind]()
    required = [name for name, f in schema.fields.items() if f.required]
    optional = [name for name, f in schema.fields.items() if not f.required]
    return required, optional


class RowValidator:
    """Validates rows with a kind's schema fields, one column at a time.

    Calling each marshmallow field directly (rather than ``Schema.load``) keeps the same
    types, messages and validators at a fraction of the cost, and lets a file's many repeats
    of one code or period be validated once: a million-row usage file names a few hundred
    consumers and services, not a million.
    """

    CACHED = (Code, Name, Period)

    def __init__(self, kind: str, header: list[str]):
        schema = SCHEMAS[kind]()
        self.columns = [(i, name, schema.fields[name]) for i, name in enumerate(header)]
        self.missing = [(n, f) for n, f in schema.fields.items() if n not in header]
        self._cache: dict[tuple[str, str], object] = {}

    def validate(self, cells: list[str]) -> tuple[dict, dict[str, str]]:
        values: dict[str, object] = {}
        errors: dict[str, str] = {}
        for index, name, field in self.columns:
            raw = cells[index].strip() if index < len(cells) else ""
            try:
                values[name] = self._value(name, field, raw)
            except ValidationError as exc:
                errors[name] = _first_message(exc)
        for name, field in self.missing:
            values[name] = field.load_default
        return values, errors

    def _value(self, name: str, field, raw: str):
        if raw == "":
            if field.required:
                raise ValidationError(field.error_messages["required"])
            return field.load_default
        if not isinstance(field, self.CACHED):
            return field.deserialize(raw)
        key = (name, raw)
        hit = self._cache.get(key, _MISS)
        if hit is _MISS:
            try:
                hit = field.deserialize(raw)
            except ValidationError as exc:
                hit = exc
            if len(self._cache) > 200_000:
                self._cache.clear()
            self._cache[key] = hit
        if isinstance(hit, ValidationError):
            raise hit
        return hit


_MISS = object()


def _first_message(exc: ValidationError) -> str:
    messages = exc.messages
    while isinstance(messages, list | dict):
        messages = messages[0] if isinstance(messages, list) else next(iter(messages.values()))
    return str(messages)
