"""What a close froze, read by period: ratings with their explanations, the portfolio, charges,
the usage lines behind usage charges and the journal (JSON pages and CSV), and charges as a
FOCUS-style CSV.

Figures come from the read model the pages and the pack use (``services.queries``): a closed
month is read only from what its close froze (the charges, journal, results and ratings,
and the tree, consumers and services as they stood), so the API, the pages and the pack
cannot disagree, and nothing done after the close changes an answer. A period is a closed
month: an unknown month is 404, an open one 409 (its figures exist once it is closed).
Unit heads see their units and the units below them; charges are those their units made,
usage lines those of their units' services; the journal, like the pack, is for finance,
central IT and admin.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, current_app, stream_with_context

from chargeback import access as policy
from chargeback.access import ALL_ROLES, READ_ALL
from chargeback.api.auth import access, current_user, errors, fail, unit_in_scope, visible_codes
from chargeback.api.extension import Blueprint, refusal_answer
from chargeback.api.fields import plain
from chargeback.api.pagination import decode, encode, link_header
from chargeback.api.schemas import (
    ChargeFilters,
    ChargePageSchema,
    ChargesQuery,
    JournalFilters,
    JournalPageSchema,
    JournalQuery,
    PortfolioQuery,
    PortfolioSchema,
    RatingSchema,
    RatingsQuery,
    RatingsSchema,
    UnitRatingSchema,
    UnitSpendQuery,
    UnitSpendSchema,
    UsageFilters,
    UsagePageSchema,
    UsageQuery,
    YardstickQuery,
)
from chargeback.extensions import db
from chargeback.refusals import Refused
from chargeback.services.periods import next_month
from chargeback.services.queries import charges as charge_lines
from chargeback.services.queries import closed_month, history, periods, ratings, spend, yardsticks
from chargeback.services.queries import journal as journal_lines
from chargeback.services.queries import portfolio as portfolio_rows
from chargeback.services.queries import usage as usage_lines
from reports import model as pm
from rules.money import one_decimal
from rules.tree import subtree

bp = Blueprint("results", __name__, url_prefix="/api/v1",
               description="Ratings, the portfolio, charges, usage lines and the journal of "
                           "closed periods.")

CSV_DOC = {"type": "string", "description": "CSV, UTF-8, header row, comma separated"}
CENT = Decimal("0.01")


# --- periods ------------------------------------------------------------------------------


def closed_period(asked: str | None, field: str = "period") -> str:
    """``asked`` when it is a closed month (default: the latest closed one)."""
    closed = periods.closed(db.session)
    if asked is None:
        if not closed:
            fail(404, "No period is closed yet: its figures exist once it is closed.")
        return closed[0]
    if asked in closed:
        return asked
    row = periods.period(db.session, asked)
    if row is not None:
        state = "being closed" if row.status == "publishing" else "open"
        fail(409, f"Period {asked} is {state}: its figures exist once it is closed.",
             {field: [f"{asked} is {state}."]})
    fail(404, f"There is no period {asked}.", {field: [f"There is no period {asked}."]})


def _month(period: str) -> closed_month.ClosedMonth:
    return closed_month.load(db.session, period, current_app.config["CHARGEBACK_CURRENCY"])


def _tenth(value: Decimal | None) -> Decimal | None:
    return None if value is None else one_decimal(value)


def _scope_ids(args: dict) -> set[int] | None:
    """The providing units to keep: the one asked for, or the user's scope (None: all)."""
    if args.get("unit"):
        return {unit_in_scope(args["unit"], field="unit").id}
    return policy.visible_ids(db.session, current_user())


# --- ratings ------------------------------------------------------------------------------


def rating_dict(period: str, card: pm.UnitScorecard) -> dict:
    return {"period": period, "unit": card.unit, "name": card.name,
            "service_model": card.service_model, "scorecard_version": card.version,
            "effective_from": card.effective_from, "attainment": card.attainment,
            "attainment_one_decimal": _tenth(card.attainment), "band": card.band,
            "criteria": [vars(c) for c in card.criteria]}


@bp.route("/ratings", endpoint="ratings")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(RatingsQuery, location="query")
@bp.response(200, RatingsSchema)
def ratings_list(args: dict):
    """Each rated unit's rating against its own scorecard, with every criterion's value,
    score and explanation, in tree order. Only units with a scorecard in force are rated."""
    period = closed_period(args.get("period"))
    month = _month(period)
    if args.get("unit"):
        wanted = {unit_in_scope(args["unit"], field="unit").code}
    else:
        wanted = visible_codes()
    cards = ratings.scorecards(db.session, period)
    shown = [cards[code] for code, _ in month.order()
             if code in cards and (wanted is None or code in wanted)]
    return {"period": period, "ratings": [rating_dict(period, c) for c in shown]}


@bp.route("/ratings/<period:period>/<code:code>")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.response(200, RatingSchema)
def rating(period: str, code: str):
    """One unit's rating in a closed period, criterion by criterion, with explanations."""
    found = closed_period(period)
    unit = unit_in_scope(code)
    card = ratings.of_unit(db.session, unit.id, [found]).get(found)
    if card is None:
        fail(404, f"{unit.code} was not rated in {found}: it had no scorecard in force.")
    return rating_dict(found, card)


def what_if_dict(found: yardsticks.WhatIf) -> dict:
    stick = found.yardstick
    return {"kind": "what-if", "yardstick": {
        "kind": stick.kind, "source": stick.source, "title": stick.title,
        "service_model": stick.service_model, "scorecard_version": stick.version,
        "effective_from": stick.effective_from},
        "attainment": found.attainment, "attainment_one_decimal": _tenth(found.attainment),
        "band": found.band, "banded": found.banded, "rated_count": found.rated_count,
        "criteria_count": len(found.criteria), "criteria": [vars(c) for c in found.criteria],
        "not_rated": [c.key for c in found.not_rated]}


@bp.route("/units/<code:code>/ratings/<period:period>")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(YardstickQuery, location="query")
@bp.response(200, UnitRatingSchema)
def unit_rating(args: dict, code: str, period: str):
    """A unit's own rating in a closed period and, with ``scorecard_of`` or ``template``,
    the same month judged by another yardstick, criterion by criterion: another unit's
    scorecard as it rated that unit in the month, or a service model's template. The
    what-if is computed from what the close froze, with the rules' scoring unchanged, and
    never stored; the yardstick's criteria the unit has no measure for are not rated, each
    with its reason. ``scorecard_of`` names a unit the caller may see (403 otherwise)."""
    found = closed_period(period)
    unit = unit_in_scope(code)
    month = _month(found)
    if unit.code not in month.tree:
        fail(404, f"{unit.code} was not in the tree when {found} closed.")
    own = ratings.of_unit(db.session, unit.id, [found]).get(found)
    node = month.tree[unit.code]
    answer = {"period": found, "unit": unit.code, "name": node.name,
              "service_model": node.model, "own": rating_dict(found, own) if own else None,
              "what_if": None, "lines": []}
    if not (args.get("scorecard_of") or args.get("template")):
        return answer
    try:
        book = yardsticks.Book(db.session, month)
        judged = book.judge(unit.code, _yardstick(args, book))
    except Refused as exc:
        body, status = refusal_answer(exc)
        fail(status, body["message"], body["errors"])
    answer["what_if"] = what_if_dict(judged)
    answer["lines"] = [{"key": line.key, "label": line.label,
                        "judged": vars(line.judged) if line.judged else None,
                        "own": vars(line.own) if line.own else None} for line in judged.lines]
    return answer


def _yardstick(args: dict, book: yardsticks.Book) -> yardsticks.Yardstick:
    """Another unit's scorecard (a unit the caller may see) or a service model's template."""
    if args.get("scorecard_of"):
        other = unit_in_scope(args["scorecard_of"], field="scorecard_of")
        return book.other_scorecard(other.code)
    return yardsticks.model_template(db.session, args["template"])


@bp.route("/units/<code:code>/spend")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(UnitSpendQuery, location="query")
@bp.response(200, UnitSpendSchema)
def unit_spend(args: dict, code: str):
    """A unit's own money over the last 12 closed months, as on its page: external spend by
    cost pool, internal charges received, spend, budget, variance and what it charged."""
    unit = unit_in_scope(code)
    period = closed_period(args.get("period"))
    window = periods.window(periods.closed(db.session), period)
    pools, months = spend.history(db.session, unit.id, window)
    return {"unit": unit.code, "pools": pools, "months": [
        {"period": m.period, "pools": m.pools, "internal_received": m.internal,
         "spend": m.spend, "budget": m.budget, "variance": m.variance, "charged": m.charged}
        for m in months]}


# --- the portfolio ------------------------------------------------------------------------


def portfolio_row(row: pm.PortfolioRow) -> dict:
    return {**vars(row), "band_counts": dict(row.band_counts),
            "without_budget": list(row.without_budget),
            "attainment_one_decimal": _tenth(row.attainment)}


@bp.route("/portfolio")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(PortfolioQuery, location="query")
@bp.response(200, PortfolioSchema)
def portfolio_view(args: dict):
    """The portfolio of a closed period, as on the Portfolio page and the pack's sheet: every
    unit of the tree as it stood at the close, groups rolled up with internal charges
    eliminated, in tree order. A unit head gets their units and the units below them.
    ``notes`` (figures of the whole holding) come only with the whole tree, unfiltered."""
    period = closed_period(args.get("period"))
    month = _month(period)
    rows, notes, _ = history.portfolio_of(db.session, month)
    within = None
    if args.get("group"):
        group = unit_in_scope(args["group"], field="group").code
        if group not in month.tree:
            fail(422, f"{group} was not in the tree when {period} closed.",
                 {"group": [f"{group} was not in the tree when {period} closed."]})
        within = subtree(month.parents(), group)
    model = args.get("model")
    if model and model not in month.models():
        fail(422, f"There is no service model {model!r} in the tree of {period}.",
             {"model": [f"There is no service model {model!r} in the tree of {period}."]})
    visible = visible_codes()
    shown = portfolio_rows.pick(rows, visible=visible, within=within, model=model)
    notes = portfolio_rows.notes_shown(notes, visible=visible, within=within, model=model)
    return {"period": period, "currency": month.currency,
            "rows": [portfolio_row(r) for r in shown], "notes": list(notes)}


# --- charges ------------------------------------------------------------------------------


def _charge_filters(args: dict) -> charge_lines.Filters:
    return charge_lines.Filters(unit_ids=_scope_ids(args), consumer=args.get("consumer"),
                                service=args.get("service"), method=args.get("method"))


def charge_dict(period: str, row) -> dict:
    return {"id": row.id, "period": period, "unit": row.unit, "service": row.service,
            "consumer": row.consumer, "consumer_name": row.consumer_name,
            "method": row.method, "basis": row.basis, "billing_mode": row.billing_mode,
            "quantity": row.quantity, "rate": row.rate, "amount": row.amount}


@bp.route("/charges")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(ChargesQuery, location="query")
@bp.response(200, ChargePageSchema)
def charges(args: dict):
    """Charge lines of a closed period, in the order the close stored them, a page at a
    time; filter by providing unit, consumer, service or method."""
    period = closed_period(args["period"])
    rows, last = charge_lines.page(db.session, period, _charge_filters(args),
                                   decode("charges", args.get("cursor")), args["limit"])
    cursor = encode("charges", last)
    return {"items": [charge_dict(period, r) for r in rows], "next_cursor": cursor}, \
        link_header(cursor)


def money(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(CENT), "f")


def number(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


def csv_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet never runs: text that it could take for a
    formula (the pack's rule, ``reports.cells.needs_quote``: starting with ``=``, ``+``,
    ``-``, ``@``, their full-width forms, a tab or a line break, or blanks then one of
    ``= + - @``) gets a leading apostrophe, as OWASP advises for CSV. A plain number
    (``-12.50``) is left as it is: a spreadsheet reads it as the number it is. The one
    rule of every CSV the product writes: ``reports.export.csv_text``."""
    from reports.export import csv_text

    return csv_text(value)


def csv_response(lines: Iterator[list[str]], filename: str) -> Response:
    """A streamed CSV attachment: a month of charges never sits in memory whole. Every
    cell goes through ``csv_cell``."""

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for count, line in enumerate(lines, start=1):
            writer.writerow([csv_cell(value) for value in line])
            if count % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(chunks()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


@bp.route("/charges.csv")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(ChargeFilters, location="query")
@bp.response(200, CSV_DOC, content_type="text/csv",
             description="Period, then the pack's Charges columns")
def charges_csv(args: dict):
    """Charge lines of a closed period as CSV: Period and the columns of the pack's Charges
    sheet (Unit, Service, Consumer, Consumer name, Method, Basis, Billing mode, Quantity,
    Rate, Amount)."""
    period = closed_period(args["period"])
    filters = _charge_filters(args)

    def lines():
        from reports.sheets.charges import HEADERS  # the pack's sheet (openpyxl): not at start-up

        yield ["Period", *HEADERS]
        for r in charge_lines.stream(db.session, period, filters):
            yield [period, r.unit, r.service or "", r.consumer, r.consumer_name, r.method,
                   r.basis, r.billing_mode, number(r.quantity), number(r.rate),
                   money(r.amount)]

    return csv_response(lines(), f"charges-{period}.csv")


# --- usage lines --------------------------------------------------------------------------

USAGE_HEADERS = ("Line", "Period", "Unit", "Service", "Consumer", "Consumer name",
                 "Quantity", "Unit of measure", "Batch")


def _usage_filters(args: dict) -> usage_lines.Filters:
    return usage_lines.Filters(unit_ids=_scope_ids(args), consumer=args.get("consumer"),
                               service=args.get("service"))


def usage_dict(period: str, row) -> dict:
    return {"id": row.id, "period": period, "unit": row.unit, "service": row.service,
            "consumer": row.consumer, "consumer_name": row.consumer_name,
            "quantity": row.quantity, "uom": row.uom, "batch": row.batch}


@bp.route("/usage")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(UsageQuery, location="query")
@bp.response(200, UsagePageSchema)
def usage(args: dict):
    """Usage lines of a closed period as imported, a page at a time, in import order:
    what each usage charge line adds up (its quantity is the sum of its consumer's lines
    of the service). Filter by providing unit, consumer or service."""
    period = closed_period(args["period"])
    rows, last = usage_lines.page(db.session, period, _usage_filters(args),
                                  decode("usage", args.get("cursor")), args["limit"])
    cursor = encode("usage", last)
    return {"items": [usage_dict(period, r) for r in rows], "next_cursor": cursor}, \
        link_header(cursor)


@bp.route("/usage.csv")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(UsageFilters, location="query")
@bp.response(200, CSV_DOC, content_type="text/csv",
             description="Line, Period, Unit, Service, Consumer, Consumer name, Quantity, "
                         "Unit of measure, Batch")
def usage_csv(args: dict):
    """Usage lines of a closed period as CSV, in import order: the line's id, Period, the
    providing Unit, Service, Consumer and Consumer name (as at the close), Quantity, the
    service's Unit of measure and the import Batch."""
    period = closed_period(args["period"])
    filters = _usage_filters(args)

    def lines():
        yield list(USAGE_HEADERS)
        for r in usage_lines.stream(db.session, period, filters):
            yield [str(r.id), period, r.unit, r.service, r.consumer, r.consumer_name,
                   number(r.quantity), r.uom, str(r.batch)]

    return csv_response(lines(), f"usage-{period}.csv")


# --- FOCUS --------------------------------------------------------------------------------

FOCUS_COLUMNS = (
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
    "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "ChargeDescription", "ChargeFrequency", "InvoiceIssuerName", "ProviderName",
    "ServiceCategory", "ServiceName", "SubAccountId", "SubAccountName", "BilledCost",
    "EffectiveCost", "ListCost", "ContractedCost", "ListUnitPrice", "ContractedUnitPrice",
    "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", "AllocatedMethodId",
    "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags",
    "x_ChargeId", "x_ProviderUnitCode", "x_Method", "x_BillingMode", "x_ConsumerGlAccount",
)
RATIO = Decimal("1e-12")


def period_bounds(period: str) -> tuple[str, str]:
    """FOCUS timestamps of the month: its start, and the start of the next (exclusive)."""
    return f"{period}-01T00:00:00Z", f"{next_month(period)}-01T00:00:00Z"


def _json_object(items: dict) -> str:
    """A JSON object whose Decimal values are written as JSON numbers, exactly."""
    parts = []
    for key, value in items.items():
        text = plain(value) if isinstance(value, Decimal) else json.dumps(value)
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def allocation_columns(row, totals: dict) -> list[str]:
    """AllocatedMethodId, -Details, -ResourceId, -ResourceName and -Tags of a split line."""
    if row.method == "usage" or row.pool is None:
        return ["", "", "", "", ""]
    if row.method == "driver":
        total = totals.get((row.unit_id, row.pool, row.driver)) or Decimal(0)
        ratio = (row.quantity / total).quantize(RATIO) if total and row.quantity is not None \
            else Decimal(0)
        element = {"AllocatedRatio": ratio, "UsageUnit": row.driver,
                   "UsageQuantity": row.quantity or Decimal(0)}
        tags = {"pool": row.pool, "driver": row.driver}
    else:
        element = {"AllocatedRatio": row.percent / 100, "UsageUnit": "percent",
                   "UsageQuantity": row.percent}
        tags = {"pool": row.pool}
    details = '{"Elements":[' + _json_object(element) + "]}"
    return [f"{row.method}:{row.pool}", details, row.consumer, row.consumer_name,
            _json_object(tags)]


@dataclass(frozen=True, kw_only=True)
class FocusContext:
    """What every FOCUS row of a month shares: the month, its currency, the names."""

    currency: str
    start: str
    end: str
    root: tuple[str, str]  # the holding company's (code, name) at the close
    names: dict[str, str]  # unit code -> name at the close
    driver_totals: dict[tuple[int, str, str], Decimal]


def focus_context(month: closed_month.ClosedMonth) -> FocusContext:
    start, end = period_bounds(month.period)
    roots = [n for n in month.tree.values() if n.parent is None]
    return FocusContext(
        currency=month.currency, start=start, end=end,
        root=(roots[0].code, roots[0].name) if roots else ("", ""),
        names={code: node.name for code, node in month.tree.items()},
        driver_totals=charge_lines.driver_totals(db.session, month.period))


def focus_row(ctx: FocusContext, row) -> list[str]:
    """One charge line in FOCUS_COLUMNS order."""
    provider = ctx.names.get(row.unit, row.unit)
    if row.service is not None:
        service_name, uom = row.service_name, row.uom
    else:
        service_name = f"{provider}: {row.pool or row.method} pool"
        uom = ""
    billed = row.amount if row.billing_mode == "chargeback" else Decimal(0)
    usage = [number(row.quantity), uom] if row.method == "usage" else ["", ""]
    amount = money(row.amount)
    return [*ctx.root, ctx.currency, ctx.start, ctx.end, ctx.start, ctx.end, "Usage",
            row.basis, "Usage-Based" if row.method == "usage" else "Recurring", provider,
            provider, "Other", service_name, row.consumer, row.consumer_name, money(billed),
            amount, amount, amount, number(row.rate), number(row.rate), *usage, *usage,
            *allocation_columns(row, ctx.driver_totals), str(row.id), row.unit, row.method,
            row.billing_mode, row.gl_account]


@bp.route("/charges/focus.csv")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(ChargeFilters, location="query")
@bp.response(200, CSV_DOC, content_type="text/csv",
             description="FOCUS-style cost and usage columns")
def charges_focus(args: dict):
    """Charge lines as FinOps FOCUS-style cost and usage rows (see docs/api.md for each
    column). Showback lines are not billed: BilledCost 0.00, EffectiveCost the amount."""
    period = closed_period(args["period"])
    ctx = focus_context(_month(period))
    filters = _charge_filters(args)

    def lines():
        yield list(FOCUS_COLUMNS)
        for row in charge_lines.stream(db.session, period, filters):
            yield focus_row(ctx, row)

    return csv_response(lines(), f"charges-focus-{period}.csv")


# --- the journal --------------------------------------------------------------------------


def _journal_filters(args: dict) -> journal_lines.Filters:
    unit_ids = {unit_in_scope(args["unit"], field="unit").id} if args.get("unit") else None
    return journal_lines.Filters(unit_ids=unit_ids, account=args.get("account"),
                                 consumer=args.get("consumer"), journal=args.get("journal"))


def journal_dict(row) -> dict:
    return {"id": row.id, "journal": row.journal, "period": row.period, "unit": row.unit,
            "account": row.account, "consumer": row.consumer, "description": row.description,
            "debit": row.debit, "credit": row.credit, "currency": row.currency}


@bp.route("/journal")
@access(*READ_ALL)
@errors(404, 409)
@bp.arguments(JournalQuery, location="query")
@bp.response(200, JournalPageSchema)
def journal(args: dict):
    """The GL journal of a closed period (chargeback units only): per unit a debit per
    consumer and a credit to its recovery account; debits equal credits."""
    period = closed_period(args["period"])
    rows, last = journal_lines.page(db.session, period, _journal_filters(args),
                                    decode("journal", args.get("cursor")), args["limit"])
    cursor = encode("journal", last)
    return {"items": [journal_dict(r) for r in rows], "next_cursor": cursor}, \
        link_header(cursor)


@bp.route("/journal.csv")
@access(*READ_ALL)
@errors(404, 409)
@bp.arguments(JournalFilters, location="query")
@bp.response(200, CSV_DOC, content_type="text/csv",
             description="The pack's Journal columns")
def journal_csv(args: dict):
    """The journal as CSV, with the pack's Journal columns (Journal, Period, Unit, Account,
    Consumer, Description, Debit, Credit, Currency), in journal order."""
    period = closed_period(args["period"])
    filters = _journal_filters(args)

    def lines():
        from reports.sheets.journal import COLUMNS  # the pack's sheet (openpyxl): not at start-up

        yield [column.header for column in COLUMNS]
        for j in journal_lines.stream(db.session, period, filters):
            yield [j.journal, j.period, j.unit, j.account, j.consumer or "", j.description,
                   money(j.debit), money(j.credit), j.currency]

    return csv_response(lines(), f"journal-{period}.csv")
