"""The API's marshmallow schemas: one per shape, shared by input and output where the
shape is the same (a scorecard criterion goes in and comes out alike).

Money has two decimals; prices, quantities and measures are plain decimals; attainment
and scores keep every digit the close stored (``*_one_decimal`` is what pages show).
Codes stand for units, services and consumers, as in the files and the pack.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from chargeback.api.fields import (
    MAX_DIGITS,
    Code,
    DecimalString,
    Period,
    Said,
    Text,
    Timestamp,
    decimal_problem,
    text_problem,
)
from chargeback.config import HARD_MAX_CRITERIA
from chargeback.vocabulary import IMPORT_KINDS, PERIOD_STATUSES, SCORECARD_STATUSES
from rules.methods import METHODS
from rules.scoring import MAX_BANDS
from rules.vocabulary import BANDS, CHARGE_METHODS, DIRECTIONS

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_ROWS = 50_000


def Money(**kwargs) -> DecimalString:  # noqa: N802
    return DecimalString(places=2, **kwargs)


def Exact(**kwargs) -> DecimalString:  # noqa: N802
    return DecimalString(exact=True, **kwargs)


def Nullable(field_class, **kwargs):  # noqa: N802
    return field_class(allow_none=True, **kwargs)


# --- errors -------------------------------------------------------------------------------


class ErrorSchema(Schema):
    """Every error: a sentence, and the messages of each field at fault."""

    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         required=True, metadata={
                             "description": "field -> messages; `line N` for a row of an "
                                            "import; empty when no field is to blame"})


# --- who is asking ------------------------------------------------------------------------


class TokenInfoSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    expires_at = Timestamp(required=True)


class MeSchema(Schema):
    email = fields.String(required=True)
    role = fields.String(required=True)
    units = fields.List(fields.String(), required=True,
                        metadata={"description": "the units of the user's scope"})
    sees_every_unit = fields.Boolean(required=True)
    token = fields.Nested(TokenInfoSchema, required=True)


# --- catalog ------------------------------------------------------------------------------


class UnitSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    parent = Nullable(fields.String, required=True)
    depth = fields.Integer(required=True, metadata={"description": "0 for the root"})
    service_model = fields.String(required=True)
    billing_mode = fields.String(required=True)
    recovery_account = Nullable(fields.String, required=True)
    head_email = Nullable(fields.String, required=True)
    active = fields.Boolean(required=True)


class ServiceModelSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    builtin = fields.Boolean(required=True)


class ConsumerSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    gl_account = fields.String(required=True)
    unit = Nullable(fields.String, required=True,
                    metadata={"description": "the unit, when the consumer is a unit"})


class PriceSchema(Schema):
    effective_from = fields.String(required=True)
    price = DecimalString(required=True)


class ServiceSchema(Schema):
    code = fields.String(required=True)
    unit = fields.String(required=True)
    name = fields.String(required=True)
    uom = fields.String(required=True)
    rates = fields.List(fields.Nested(PriceSchema), required=True)
    price_in_force = Nullable(DecimalString, required=True,
                              metadata={"description": "for ?period (else the latest)"})


class RateCardSchema(Schema):
    service = fields.String(required=True)
    unit = fields.String(required=True)
    effective_from = fields.String(required=True)
    price = DecimalString(required=True)


class BandLimitsSchema(Schema):
    exceeds = DecimalString(required=True)
    meets = DecimalString(required=True)
    watch = DecimalString(required=True)


class SettingsSchema(Schema):
    currency = fields.String(required=True,
                             metadata={"description": "the holding company's currency"})
    bands = fields.Nested(BandLimitsSchema, required=True,
                          metadata={"description": "attainment at or above each limit"})


class UnitQuery(Schema):
    unit = Code(metadata={"description": "only this unit's"})


class ServicesQuery(UnitQuery):
    period = Period(metadata={"description": "which price is in force (default: latest)"})


class RateCardsQuery(UnitQuery):
    service = Code()
    period = Period(metadata={"description": "only the prices in force for this month"})


# --- imports ------------------------------------------------------------------------------


class BatchSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(IMPORT_KINDS))
    filename = fields.String(required=True)
    status = fields.String(required=True,
                           validate=validate.OneOf(("stored", "refused", "already_imported")))
    replace = fields.Boolean(required=True)
    rows = fields.Integer(required=True)
    error_count = fields.Integer(required=True)
    errors = fields.List(fields.String(), required=True,
                         metadata={"description": "`line N: column: message`, the first "
                                                  "1,000"})
    actor = fields.String(required=True)
    created_at = Timestamp(required=True)


class ImportRefusedSchema(ErrorSchema):
    """A refused import: the error shape, with the refused batch when one was recorded."""

    batch = fields.Nested(BatchSchema)


class Cell(fields.Field):
    """One cell of a JSON row: a string, an integer, an exact number, or null (empty). A
    number is written out as the file's text only within ``MAX_DIGITS`` (``1e99999999``
    would be a hundred million digits)."""

    default_error_messages = {
        "invalid": "A cell is a string, a number or null.",
        "range": f"A number here has at most {MAX_DIGITS} digits and a size between "
                 f"1e-{MAX_DIGITS} and 1e{MAX_DIGITS}: write it as a decimal string.",
    }

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise self.make_error("invalid")
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                raise ValidationError(problem)
            return value
        if isinstance(value, int) and value.bit_length() > 4 * MAX_DIGITS:
            raise self.make_error("range")
        number = Decimal(value)
        if decimal_problem(number):
            raise self.make_error("range")
        return format(number, "f")


class ImportRowsSchema(Schema):
    rows = fields.List(fields.Dict(keys=Text(validate=validate.Length(min=1, max=64)),
                                   values=Cell()),
                       required=True, validate=validate.Length(
                           min=1, max=MAX_ROWS, error="at most {max} rows in one request: "
                                                      "upload a file for more"),
                       metadata={"description": "one object per row, keyed by the file's "
                                                "column names; line 2 is rows[0]"})
    replace = fields.Boolean(load_default=False,
                             metadata={"description": "spend and usage: replace the stored "
                                                      "lines of the months and units covered"})
    filename = Text(validate=validate.Length(min=1, max=255),
                    metadata={"description": "a name for the batch (default KIND.json)"})

    @pre_load
    def _not_too_many(self, data, **kwargs):
        """More than ``MAX_ROWS`` rows are refused before any row is read."""
        rows = data.get("rows") if isinstance(data, dict) else None
        if isinstance(rows, list) and len(rows) > MAX_ROWS:
            raise ValidationError({"rows": [f"at most {MAX_ROWS} rows in one request: upload "
                                            "a file for more"]})
        return data


class ListQuery(Schema):
    cursor = Text(validate=validate.Length(max=200),
                  metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=MAX_LIMIT))


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """The page schema of a cursor-paginated list of ``item_schema``."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(required=True, allow_none=True, metadata={
            "description": "pass as ?cursor= for the next page; null on the last page"}),
    })


BatchPageSchema = page_of(BatchSchema, "BatchPageSchema")


# --- scorecards ---------------------------------------------------------------------------


class BandSchema(Schema):
    at = DecimalString(required=True)
    score = DecimalString(required=True)


class CriterionSchema(Schema):
    """A criterion of the scorecard file, in and out."""

    key = Text(required=True, validate=validate.Length(min=1, max=64))
    label = Text(required=True, validate=validate.Length(min=1, max=200))
    expr = Text(required=True, validate=validate.Length(min=1, max=1000))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    target = DecimalString(allow_none=True)
    floor = DecimalString(allow_none=True)
    weight = DecimalString(required=True)
    bands = fields.List(fields.Nested(BandSchema), allow_none=True,
                        validate=validate.Length(max=MAX_BANDS))


class CriterionInSchema(Schema):
    """A criterion as sent: read and checked by the rules themselves
    (``services.scorecards.check``), as the web form's and a file's are, so every problem
    of every criterion comes back at once with the same words a unit head sees on the page.
    Here only the names are documented: a missing field is the rules' error too (key,
    label, expr, direction, method and weight are required; target, floor and bands are
    as the method needs)."""

    class Meta:
        unknown = INCLUDE  # an unknown field is the rules' error ("is not a known field")

    key = fields.Raw(metadata={"type": "string", "maxLength": 64,
                                              "example": "csat"})
    label = fields.Raw(metadata={"type": "string", "maxLength": 200})
    expr = fields.Raw(metadata={"type": "string", "maxLength": 1000,
                                               "example": "researcher_csat"})
    direction = fields.Raw(metadata={"type": "string", "enum": list(DIRECTIONS)})
    method = fields.Raw(metadata={"type": "string", "enum": list(METHODS)})
    target = fields.Raw(allow_none=True, metadata={"type": "string", "example": "4.5"})
    floor = fields.Raw(allow_none=True, metadata={"type": "string", "example": "3.5"})
    weight = fields.Raw(metadata={"type": "string", "example": "1"})
    bands = fields.Raw(allow_none=True, metadata={
        "type": "array", "maxItems": MAX_BANDS, "items": {
            "type": "object", "properties": {"at": {"type": "string"},
                                             "score": {"type": "string"}}}})


class ScorecardDraftSchema(Schema):
    """A draft as sent. Beyond the list's size, its content is the rules' to check."""

    effective_from = fields.Raw(metadata={"type": "string",
                                                         "example": "2026-05"})
    criteria = fields.List(fields.Nested(CriterionInSchema),
                           validate=validate.Length(max=HARD_MAX_CRITERIA),
                           metadata={"description": "at most CHARGEBACK_MAX_CRITERIA "
                                                    "(50 unless set)"})


class ScorecardVersionSchema(Schema):
    id = fields.Integer(required=True)
    unit = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(SCORECARD_STATUSES))
    effective_from = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = Timestamp(required=True)
    submitted_at = Nullable(Timestamp, required=True)
    approved_by = Nullable(fields.String, required=True)
    approved_at = Nullable(Timestamp, required=True)
    comment = Nullable(fields.String, required=True,
                       metadata={"description": "central IT's, when sent back"})
    criteria = fields.List(fields.Nested(CriterionSchema), required=True)


class SavedScorecardSchema(ScorecardVersionSchema):
    warnings = fields.List(fields.String(), required=True)


class ApproveSchema(Schema):
    effective_from = Period(metadata={"description": "default: the month the unit asked for"})


class SendBackSchema(Schema):
    comment = Said("A comment", 2000)


class ScorecardsQuery(Schema):
    status = fields.String(validate=validate.OneOf(SCORECARD_STATUSES))


# --- periods, job runs, packs -------------------------------------------------------------


class PeriodSchema(Schema):
    period = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PERIOD_STATUSES))
    closed_at = Nullable(Timestamp, required=True)
    closed_by = Nullable(fields.String, required=True)
    close_count = fields.Integer(required=True)


class ReopenSchema(Schema):
    reason = Said("A reason", 1000)


class UploadSchema(Schema):
    """What a big upload's run imports: the uploader's file, as they sent it."""

    kind = fields.String(required=True, validate=validate.OneOf(IMPORT_KINDS))
    filename = fields.String(required=True)
    bytes = fields.Integer(required=True)
    replace = fields.Boolean(required=True)


class JobRunSchema(Schema):
    id = fields.Integer(required=True)
    job = fields.String(required=True)
    period = Nullable(fields.String, required=True)
    status = fields.String(required=True)
    progress = fields.Integer(required=True)
    requested_by = fields.String(required=True)
    created_at = Timestamp(required=True)
    started_at = Nullable(Timestamp, required=True)
    finished_at = Nullable(Timestamp, required=True)
    message = Nullable(fields.String, required=True)
    pack_id = Nullable(fields.Integer, required=True)
    batch_id = Nullable(fields.Integer, required=True, metadata={
        "description": "an import run's batch, once it has one: GET batch_url for its "
                       "status and row errors"})
    batch_url = Nullable(fields.String, required=True)
    upload = Nullable(fields.Nested, nested=UploadSchema, required=True, metadata={
        "description": "an import run (job `import`): the uploaded file; null for others"})


JobRunPageSchema = page_of(JobRunSchema, "JobRunPageSchema")


class PackSchema(Schema):
    id = fields.Integer(required=True)
    period = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("final", "provisional")))
    revision = fields.Integer(required=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True)
    created_by = fields.String(required=True)
    created_at = Timestamp(required=True)
    on_server = fields.Boolean(required=True,
                               metadata={"description": "false: the file is gone; "
                                                        "`chargeback pack` writes it again"})


class PacksQuery(Schema):
    period = Period()


# --- ratings and the portfolio ------------------------------------------------------------


class CriterionResultSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    expr = fields.String(required=True)
    direction = fields.String(required=True)
    method = fields.String(required=True)
    weight = DecimalString(required=True)
    target = Nullable(DecimalString, required=True)
    floor = Nullable(DecimalString, required=True)
    bands = Nullable(fields.String, required=True,
                     metadata={"description": "\"1.00 -> 100; 1.05 -> 70\""})
    actual = Nullable(Exact, required=True)
    score = Nullable(Exact, required=True,
                     metadata={"description": "null: not rated, see note"})
    note = Nullable(fields.String, required=True)
    explanation = fields.String(required=True)


class RatingSchema(Schema):
    period = fields.String(required=True)
    unit = fields.String(required=True)
    name = fields.String(required=True)
    service_model = fields.String(required=True)
    scorecard_version = fields.Integer(required=True)
    effective_from = fields.String(required=True)
    attainment = Nullable(Exact, required=True)
    attainment_one_decimal = Nullable(DecimalString, places=1, required=True)
    band = fields.String(required=True, validate=validate.OneOf(BANDS))
    criteria = fields.List(fields.Nested(CriterionResultSchema), required=True)


class YardstickQuery(Schema):
    """Which other yardstick to judge the unit by (one of the two, or neither)."""

    scorecard_of = Code(metadata={"description": (
        "another unit's code: judge this unit by the scorecard that unit was rated with "
        "in the period (a what-if, never stored)")})
    template = Code(metadata={"description": (
        "a service model's code: judge this unit by that model's template (the holding "
        "company's own template for the model, else the built-in one)")})

    @validates_schema
    def one_yardstick(self, data, **kwargs):
        if data.get("scorecard_of") and data.get("template"):
            raise ValidationError("Give scorecard_of or template, not both.",
                                  field_name="template")


class YardstickSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("scorecard_of", "template")))
    source = fields.String(required=True, metadata={
        "description": "the other unit's code, or the service model's code"})
    title = fields.String(required=True)
    service_model = fields.String(required=True)
    scorecard_version = Nullable(fields.Integer, required=True,
                                 metadata={"description": "null for a template"})
    effective_from = Nullable(fields.String, required=True)


class WhatIfSchema(Schema):
    """The unit judged by another yardstick: a what-if, computed on each read from what the
    close froze, never stored and never a rating."""

    kind = fields.Constant("what-if", required=True, metadata={
        "description": "always \"what-if\": never stored, never a rating"})
    yardstick = fields.Nested(YardstickSchema, required=True)
    attainment = Nullable(Exact, required=True)
    attainment_one_decimal = Nullable(DecimalString, places=1, required=True)
    band = fields.String(required=True, validate=validate.OneOf(BANDS), metadata={
        "description": "the band the scoring gives the attainment; not to be shown when "
                       "banded is false"})
    banded = fields.Boolean(required=True, metadata={
        "description": "false when the criteria that could be rated carry less than half "
                       "of the yardstick's weight: too few criteria measurable to band"})
    rated_count = fields.Integer(required=True, metadata={
        "description": "K of \"rated on K of N criteria\": the yardstick's criteria rated"})
    criteria_count = fields.Integer(required=True, metadata={
        "description": "N: the yardstick's criteria"})
    criteria = fields.List(fields.Nested(CriterionResultSchema), required=True)
    not_rated = fields.List(fields.String(), required=True, metadata={
        "description": "keys of the yardstick's criteria the unit has no measure for "
                       "(each criterion's note says why)"})


class SideBySideSchema(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    judged = Nullable(fields.Nested, nested=CriterionResultSchema, required=True)
    own = Nullable(fields.Nested, nested=CriterionResultSchema, required=True)


class UnitRatingSchema(Schema):
    """A unit's own rating in a closed period and, when asked, the same month judged by
    another yardstick, criterion by criterion."""

    period = fields.String(required=True)
    unit = fields.String(required=True)
    name = fields.String(required=True)
    service_model = fields.String(required=True)
    own = Nullable(fields.Nested, nested=RatingSchema, required=True, metadata={
        "description": "null: the unit had no scorecard in force"})
    what_if = Nullable(fields.Nested, nested=WhatIfSchema, required=True, metadata={
        "description": "null unless scorecard_of or template is given"})
    lines = fields.List(fields.Nested(SideBySideSchema), required=True, metadata={
        "description": "criterion by criterion: the yardstick's, then the unit's own it lacks"})


class RatingsSchema(Schema):
    period = fields.String(required=True)
    ratings = fields.List(fields.Nested(RatingSchema), required=True)


class SpendMonthSchema(Schema):
    period = fields.String(required=True)
    pools = fields.Dict(keys=fields.String(), values=Money(), required=True,
                        metadata={"description": "external spend by cost pool"})
    internal_received = Nullable(Money, required=True)
    spend = Nullable(Money, required=True)
    budget = Nullable(Money, required=True)
    variance = Nullable(Money, required=True,
                        metadata={"description": "spend minus budget; negative: under"})
    charged = Nullable(Money, required=True)


class UnitSpendSchema(Schema):
    unit = fields.String(required=True)
    pools = fields.List(fields.String(), required=True)
    months = fields.List(fields.Nested(SpendMonthSchema), required=True)


class UnitSpendQuery(Schema):
    period = Period(metadata={"description": "the last closed month shown (default: the "
                                             "latest); the 12 closed months up to it"})


class RatingsQuery(Schema):
    period = Period(metadata={"description": "a closed month (default: the latest)"})
    unit = Code()


class PortfolioRowSchema(Schema):
    unit = fields.String(required=True)
    name = fields.String(required=True)
    parent = Nullable(fields.String, required=True)
    depth = fields.Integer(required=True)
    is_group = fields.Boolean(required=True)
    service_model = fields.String(required=True)
    billing_mode = fields.String(required=True)
    spend = Money(required=True)
    budget = Nullable(Money, required=True)
    charged = Money(required=True)
    recovery_pct = Nullable(Exact, required=True)
    absorbed = Money(required=True)
    internal_eliminated = Money(required=True)
    attainment = Nullable(Exact, required=True)
    attainment_one_decimal = Nullable(DecimalString, places=1, required=True)
    band = fields.String(required=True)
    own_attainment = Nullable(Exact, required=True)
    own_band = Nullable(fields.String, required=True)
    band_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    variance = Nullable(Money, required=True, metadata={
        "description": "spend minus budget, internal charges eliminated from both; "
                       "positive: over budget; null without a budget. A venture's "
                       "(envelope set): its funding envelope's variance, projected spend of "
                       "the fiscal year at this month's burn minus the envelope"})
    variance_pct = Nullable(Exact, required=True, metadata={
        "description": "of budget (a venture: of its envelope)"})
    envelope = Nullable(Money, required=True, metadata={
        "description": "a venture's funding envelope, the fiscal year's budgets summed; "
                       "null for every other unit and for groups"})
    showback = Money(required=True, metadata={
        "description": "the part of charged that showback units computed, not billed"})
    without_budget = fields.List(fields.String(), required=True, metadata={
        "description": "units of the subtree with no budget for the month (then budget "
                       "is null)"})
    ytd_spend = Nullable(Money, required=True, metadata={
        "description": "the fiscal year's closed months to this one, as of its close"})
    ytd_budget = Nullable(Money, required=True)
    ytd_variance = Nullable(Money, required=True)
    prior_spend = Nullable(Money, required=True, metadata={
        "description": "the previous month's close; null when it had not closed"})
    prior_attainment = Nullable(Exact, required=True)


class PortfolioSchema(Schema):
    period = fields.String(required=True)
    currency = fields.String(required=True)
    rows = fields.List(fields.Nested(PortfolioRowSchema), required=True)
    notes = fields.List(fields.String(), required=True)


class PortfolioQuery(Schema):
    period = Period(metadata={"description": "a closed month (default: the latest)"})
    group = Code(metadata={"description": "only this unit and the units below it"})
    model = Code(metadata={"description": "only units of this service model"})


# --- charges and the journal --------------------------------------------------------------


class ChargeSchema(Schema):
    id = fields.Integer(required=True)
    period = fields.String(required=True)
    unit = fields.String(required=True)
    service = Nullable(fields.String, required=True,
                       metadata={"description": "null for a driver or fixed split"})
    consumer = fields.String(required=True)
    consumer_name = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(CHARGE_METHODS))
    basis = fields.String(required=True)
    billing_mode = fields.String(required=True)
    quantity = Nullable(DecimalString, required=True)
    rate = Nullable(DecimalString, required=True)
    amount = Money(required=True)


class JournalLineSchema(Schema):
    id = fields.Integer(required=True)
    journal = fields.String(required=True)
    period = fields.String(required=True)
    unit = fields.String(required=True)
    account = fields.String(required=True)
    consumer = Nullable(fields.String, required=True)
    description = fields.String(required=True)
    debit = Money(required=True)
    credit = Money(required=True)
    currency = fields.String(required=True)


ChargePageSchema = page_of(ChargeSchema, "ChargePageSchema")
JournalPageSchema = page_of(JournalLineSchema, "JournalPageSchema")


class ChargeFilters(Schema):
    period = Period(required=True)
    unit = Code(metadata={"description": "the providing unit"})
    consumer = Code()
    service = Code()
    method = fields.String(validate=validate.OneOf(CHARGE_METHODS))


class ChargesQuery(ChargeFilters, ListQuery):
    pass


class JournalFilters(Schema):
    period = Period(required=True)
    unit = Code()
    account = Text(validate=validate.Length(min=1, max=64))
    consumer = Code()
    journal = Text(validate=validate.Length(min=1, max=64))


class JournalQuery(JournalFilters, ListQuery):
    pass


# --- usage lines --------------------------------------------------------------------------


class UsageLineSchema(Schema):
    """A usage line of a closed month as imported, under the codes of the close."""

    id = fields.Integer(required=True)
    period = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "the providing unit"})
    service = fields.String(required=True)
    consumer = fields.String(required=True)
    consumer_name = fields.String(required=True)
    quantity = DecimalString(required=True)
    uom = fields.String(required=True, metadata={"description": "the service's unit of "
                                                                "measure"})
    batch = fields.Integer(required=True, metadata={"description": "the import batch"})


UsagePageSchema = page_of(UsageLineSchema, "UsagePageSchema")


class UsageFilters(Schema):
    period = Period(required=True)
    unit = Code(metadata={"description": "the providing unit"})
    consumer = Code()
    service = Code()


class UsageQuery(UsageFilters, ListQuery):
    pass


# --- consumer statements ------------------------------------------------------------------


class StatementTotalsSchema(Schema):
    """One consumer's bill for a closed month, in figures (the pack's Statements sheet)."""

    consumer = fields.String(required=True)
    name = fields.String(required=True)
    gl_account = fields.String(required=True)
    unit = Nullable(fields.String, required=True,
                    metadata={"description": "the unit, when the consumer is a unit"})
    billed = Money(required=True, metadata={"description": "charged by chargeback units "
                                                           "(posted to the journal)"})
    showback = Money(required=True, metadata={"description": "computed by showback units "
                                                             "(not posted)"})
    total = Money(required=True)
    prior_total = Nullable(Money, required=True, metadata={
        "description": "the previous month's total as it closed; null when that month is "
                       "not closed or had no such consumer"})
    change = Nullable(Money, required=True,
                      metadata={"description": "total − prior_total; null without a prior"})
    download_url = fields.String(required=True,
                                 metadata={"description": "the consumer's statement (XLSX)"})


class StatementsSchema(Schema):
    period = fields.String(required=True)
    revision = fields.Integer(required=True)
    currency = fields.String(required=True)
    prior_period = Nullable(fields.String, required=True, metadata={
        "description": "the previous month, when it is closed (the prior totals' month)"})
    items = fields.List(fields.Nested(StatementTotalsSchema), required=True)


# --- the service catalog ------------------------------------------------------------------


class CatalogQuery(Schema):
    period = Period(metadata={"description": "any month with data (default: the latest "
                                             "closed month, else the newest month)"})


class TargetCheckSchema(Schema):
    measure = fields.String(required=True)
    target = DecimalString(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS),
                              metadata={"description": "higher or lower is better"})
    result = Nullable(DecimalString, required=True,
                      metadata={"description": "the month's result the target is checked "
                                               "against (null: none imported)"})
    result_from = Nullable(fields.String, required=True,
                           validate=validate.OneOf(("offering", "service")),
                           metadata={"description": "offering: the offering's own result; "
                                                    "service: the whole service's"})
    name = Nullable(fields.String, required=True,
                    metadata={"description": "the name a scorecard criterion reads the "
                                             "result by (sla.SERVICE[.OFFERING].measure)"})
    status = fields.String(required=True, validate=validate.OneOf(("met", "missed",
                                                                   "no result")))


class OfferingLevelsSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    targets = fields.List(fields.Nested(TargetCheckSchema), required=True)


class SlaResultSchema(Schema):
    offering = Nullable(fields.String, required=True,
                        metadata={"description": "null: a result for the whole service"})
    measure = fields.String(required=True)
    value = DecimalString(required=True)
    name = Nullable(fields.String, required=True,
                    metadata={"description": "null: the service's code cannot be named "
                                             "in a criterion"})


class CatalogServiceSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    uom = fields.String(required=True)
    unit = fields.String(required=True)
    owner_email = Nullable(fields.String, required=True)
    offerings = fields.List(fields.Nested(OfferingLevelsSchema), required=True)
    results = fields.List(fields.Nested(SlaResultSchema), required=True,
                          metadata={"description": "every result of the month, those "
                                                   "without a target too"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "targets met, missed, with no result"})


class CatalogSchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True)
    frozen = fields.Boolean(required=True, metadata={
        "description": "true: a closed month, read as its close froze owners, offerings "
                       "and targets"})
    services = fields.List(fields.Nested(CatalogServiceSchema), required=True)


# --- service chains -----------------------------------------------------------------------


class ChainServiceSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True, metadata={"description": "the providing unit's code"})
    uom = fields.String(required=True)


class ChainLevelsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "targets met, missed, with no result"})
    offerings = fields.List(fields.Nested(OfferingLevelsSchema), required=True, metadata={
        "description": "each offering's service level targets checked against the month's "
                       "results, as on the unit's catalog page"})


class ChainLinkSchema(Schema):
    depth = fields.Integer(required=True, metadata={
        "description": "1: feeds the chain's service; 2: feeds a service at depth 1; ..."})
    upstream = fields.Nested(ChainServiceSchema, required=True)
    feeds = fields.String(required=True, metadata={
        "description": "the code of the downstream service this upstream service feeds"})
    charged_along_link = Money(required=True, metadata={
        "description": "what the upstream service charged the downstream service's unit in "
                       "the month, the internal charge along this link (shared among that "
                       "unit's services that depend on it in proportion to what each "
                       "charged; see docs/chains.md)"})
    reached_service = Money(required=True, metadata={
        "description": "the part of what the chain's service's unit paid that this link "
                       "stands for: all of charged_along_link on a link into the service "
                       "itself; on a link into X, what X carried down to the service "
                       "(X's own links' reached_service) x charged_along_link / X's cost "
                       "(X's share of its unit's spend), exactly to the cent, never more "
                       "than X carried (docs/chains.md)"})
    service_levels = Nullable(fields.Nested, nested=ChainLevelsSchema, required=True,
                              metadata={"description": "the upstream service's targets met "
                                                       "or missed in the month (no "
                                                       "offerings: it has no targets)"})


class ChainSourceSchema(Schema):
    upstream = fields.Nested(ChainServiceSchema, required=True)
    own_cost_in_it = Money(required=True, metadata={
        "description": "the upstream service's own cost in the upstream cost behind the "
                       "service: what it carried down the chain (its links' "
                       "reached_service) less the reached_service of the links into it; "
                       "the sources' own costs add up to upstream_cost_behind_service"})


class ChainSchema(Schema):
    period = Period(required=True)
    currency = fields.String(required=True)
    service = fields.Nested(ChainServiceSchema, required=True)
    service_levels = Nullable(fields.Nested, nested=ChainLevelsSchema, required=True,
                              metadata={"description": "the service's own targets met or "
                                                       "missed in the month"})
    upstream = fields.List(fields.Nested(ChainLinkSchema), required=True, metadata={
        "description": "every dependency upstream of the service, nearest first"})
    internal_charges_along_links = Money(required=True, metadata={
        "description": "the sum of the links' charged_along_link: the internal charges "
                       "along the chain, not what the service cost (an upstream unit "
                       "recovers a charge from all its consumers)"})
    upstream_cost_behind_service = Money(required=True, metadata={
        "description": "what the service's unit paid its direct upstream services in the "
                       "month (the reached_service of the depth-1 links summed), which "
                       "`sources` breaks down by where the cost started: the sum of their "
                       "own_cost_in_it"})
    sources = fields.List(fields.Nested(ChainSourceSchema), required=True, metadata={
        "description": "each upstream service once, nearest first, with its own cost in "
                       "the upstream cost behind the service"})
    feeds = fields.List(fields.Nested(ChainServiceSchema), required=True, metadata={
        "description": "the services that depend on this one directly"})
