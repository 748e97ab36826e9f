"""What a close froze, read by period: ratings with their explanations, the portfolio, charges
and the journal (JSON pages and CSV), and charges as a FOCUS-style CSV.

Figures come from the read model the pages and the pack use (``services.portfolio``), so
the API, the pages and the pack cannot disagree. A period is a closed month: an unknown
month is 404, an open one 409 (its figures exist once it is closed). Unit heads see their
units and the units below them; charges are those their units made; the journal, like the
pack, is for finance, central IT and admin.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, stream_with_context
from sqlalchemy import select

from chargeback.api.auth import access, current_user, errors, fail, unit_in_scope, visible_codes
from chargeback.api.extension import Blueprint
from chargeback.api.fields import plain
from chargeback.api.pagination import link_header, paginate
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
    UnitSpendQuery,
    UnitSpendSchema,
)
from chargeback.extensions import db
from chargeback.models import (
    Charge,
    Consumer,
    JournalLine,
    Period,
    Rating,
    Service,
    ServiceModel,
    Unit,
    UnitTreeSnapshot,
)
from chargeback.services import portfolio
from chargeback.services.settings import currency as currency_setting
from chargeback.web.access import ALL_ROLES, READ_ALL, visible_unit_ids
from reports import model as pm
from reports.sheets.charges import HEADERS as CHARGE_HEADERS
from reports.sheets.journal import COLUMNS as JOURNAL_COLUMNS
from rules.money import one_decimal

bp = Blueprint("results", __name__, url_prefix="/api/v1",
               description="Ratings, the portfolio, charges and the journal of closed periods.")

CSV_DOC = {"type": "string", "description": "CSV, UTF-8, header row, comma separated"}
CENT = Decimal("0.01")


# --- periods and currency -----------------------------------------------------------------


def closed_period(asked: str | None, field: str = "period") -> str:
    """``asked`` when it is a closed month (default: the latest closed one)."""
    closed = portfolio.closed_periods(db.session)
    if asked is None:
        if not closed:
            fail(404, "No period is closed yet: its figures exist once it is closed.")
        return closed[0]
    if asked in closed:
        return asked
    if db.session.get(Period, asked) is not None:
        fail(409, f"Period {asked} is open: its figures exist once it is closed.",
             {field: [f"{asked} is open."]})
    fail(404, f"There is no period {asked}.", {field: [f"There is no period {asked}."]})
    return asked


def period_currency(period: str) -> str:
    """The currency the period's journal was posted in, else the holding company's."""
    from flask import current_app

    posted = db.session.scalar(select(JournalLine.currency).where(JournalLine.period == period)
                               .limit(1))
    return posted or currency_setting(db.session, current_app.config["CHARGEBACK_CURRENCY"])


def _tenth(value: Decimal | None) -> Decimal | None:
    return None if value is None else one_decimal(value)


# --- ratings ------------------------------------------------------------------------------


def rating_dict(period: str, card: pm.UnitScorecard) -> dict:
    return {"period": period, "unit": card.unit, "name": card.name,
            "service_model": card.service_model, "scorecard_version": card.version,
            "effective_from": card.effective_from, "attainment": card.attainment,
            "attainment_one_decimal": _tenth(card.attainment), "band": card.band,
            "criteria": [vars(c) for c in card.criteria]}


@bp.route("/ratings")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(RatingsQuery, location="query")
@bp.response(200, RatingsSchema)
def ratings(args: dict):
    """Each rated unit's rating against its own scorecard, with every criterion's value,
    score and explanation, in tree order. Only units with a scorecard in force are rated."""
    period = closed_period(args.get("period"))
    stored = portfolio.load(db.session, period)
    if args.get("unit"):
        wanted = {unit_in_scope(args["unit"], field="unit").code}
    else:
        wanted = visible_codes(current_user())
    cards = [portfolio.scorecard_of(db.session, code, stored.ratings[code], stored.tree.get(code))
             for code, _ in portfolio.tree_order(stored.parents())
             if code in stored.ratings and (wanted is None or code in wanted)]
    return {"period": period, "ratings": [rating_dict(period, c) for c in cards]}


@bp.route("/ratings/<period:period>/<code:code>")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.response(200, RatingSchema)
def rating(period: str, code: str):
    """One unit's rating in a closed period, criterion by criterion, with explanations."""
    found = closed_period(period)
    unit = unit_in_scope(code)
    row = db.session.scalar(select(Rating).where(Rating.period == found,
                                                 Rating.unit_id == unit.id))
    if row is None:
        fail(404, f"{unit.code} was not rated in {found}: it had no scorecard in force.")
    snapshot = db.session.scalar(select(UnitTreeSnapshot).where(
        UnitTreeSnapshot.period == found, UnitTreeSnapshot.unit_code == unit.code))
    return rating_dict(found, portfolio.scorecard_of(db.session, unit.code, row, snapshot))


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
    periods = portfolio.window(portfolio.closed_periods(db.session), period)
    pools, months = portfolio.spend_history(db.session, unit.id, periods)
    return {"unit": unit.code, "pools": pools, "months": [
        {"period": m.period, "pools": m.pools, "internal_received": m.internal,
         "spend": m.spend, "budget": m.budget, "variance": m.variance, "charged": m.charged}
        for m in months]}


# --- the portfolio ------------------------------------------------------------------------


def portfolio_row(row: pm.PortfolioRow) -> dict:
    return {**vars(row), "band_counts": dict(row.band_counts),
            "attainment_one_decimal": _tenth(row.attainment)}


@bp.route("/portfolio")
@access(*ALL_ROLES)
@errors(404, 409)
@bp.arguments(PortfolioQuery, location="query")
@bp.response(200, PortfolioSchema)
def portfolio_view(args: dict):
    """The portfolio of a closed period, as on the Portfolio page and the pack's sheet: every
    unit of the tree as it stood at the close, groups rolled up with internal charges
    eliminated, in tree order. A unit head gets their units and the units below them."""
    period = closed_period(args.get("period"))
    visible = visible_codes(current_user())
    stored = portfolio.load(db.session, period)
    rows, notes = portfolio.rows(db.session, stored)
    within = None
    if args.get("group"):
        group = unit_in_scope(args["group"], field="group").code
        if group not in stored.tree:
            fail(422, f"{group} was not in the tree when {period} closed.",
                 {"group": [f"{group} was not in the tree when {period} closed."]})
        within = portfolio.subtree(stored.parents(), group)
    model = args.get("model")
    if model and db.session.get(ServiceModel, model) is None:
        fail(422, f"There is no service model {model!r}.",
             {"model": [f"There is no service model {model!r}."]})
    shown = portfolio.pick(rows, visible=visible, within=within, model=model)
    return {"period": period, "currency": period_currency(period),
            "rows": [portfolio_row(r) for r in shown], "notes": list(notes)}


# --- charges ------------------------------------------------------------------------------


def _charges_query(args: dict):
    """Charge lines of the period with their codes, cut to the filters and the scope."""
    query = (select(Charge.id, Unit.code.label("unit"), Service.code.label("service"),
                    Consumer.code.label("consumer"), Consumer.name.label("consumer_name"),
                    Charge.method, Charge.basis, Unit.billing_mode, Charge.quantity,
                    Charge.rate, Charge.amount, Charge.unit_id, Charge.service_id,
                    Consumer.gl_account)
             .join(Unit, Unit.id == Charge.unit_id)
             .join(Consumer, Consumer.id == Charge.consumer_id)
             .outerjoin(Service, Service.id == Charge.service_id)
             .where(Charge.period == args["period"]))
    if args.get("unit"):
        query = query.where(Charge.unit_id == unit_in_scope(args["unit"], field="unit").id)
    else:
        visible = visible_unit_ids(current_user())
        if visible is not None:
            query = query.where(Charge.unit_id.in_(visible))
    for name, column in (("consumer", Consumer.code), ("service", Service.code),
                         ("method", Charge.method)):
        if args.get(name):
            query = query.where(column == args[name])
    return query


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
    closed_period(args["period"])
    rows, cursor = paginate("charges", _charges_query(args), Charge.id, args)
    return {"items": [charge_dict(args["period"], r) for r in rows], "next_cursor": cursor}, \
        link_header(cursor)


def money(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(CENT), "f")


def number(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


def csv_response(lines: Iterator[list[str]], filename: str) -> Response:
    """A streamed CSV attachment: a month of charges never sits in memory whole."""

    def chunks():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        for count, line in enumerate(lines, start=1):
            writer.writerow(line)
            if count % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(chunks()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def stream(query) -> Iterator:
    """Rows of ``query``, read only when the response is sent (inside the streamed
    request's own context and session: the view's session is gone by then)."""
    yield from db.session.execute(query).yield_per(5000)


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
    query = _charges_query(args).order_by(Charge.id)

    def lines():
        yield ["Period", *CHARGE_HEADERS]
        for r in stream(query):
            c = charge_dict(period, r)
            yield [period, c["unit"], c["service"] or "", c["consumer"], c["consumer_name"],
                   c["method"], c["basis"], c["billing_mode"], number(c["quantity"]),
                   number(c["rate"]), money(c["amount"])]

    return csv_response(lines(), f"charges-{period}.csv")


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
BASIS = re.compile(r"^pool (?P<pool>\S+) (?:by (?P<driver>\S+)|fixed (?P<percent>[0-9.]+)%)$")
RATIO = Decimal("1e-12")


def period_bounds(period: str) -> tuple[str, str]:
    """FOCUS timestamps of the month: its start, and the start of the next (exclusive)."""
    from chargeback.services.periods import next_month

    return f"{period}-01T00:00:00Z", f"{next_month(period)}-01T00:00:00Z"


def _names(period: str) -> tuple[dict[str, str], tuple[str, str]]:
    """Unit code -> name as the tree stood at the close, and the root (code, name)."""
    tree = list(db.session.scalars(select(UnitTreeSnapshot)
                                   .where(UnitTreeSnapshot.period == period)))
    names = dict(db.session.execute(select(Unit.code, Unit.name)).all())
    names.update({t.unit_code: t.name for t in tree})
    roots = [t for t in tree if t.parent_code is None]
    root = (roots[0].unit_code, roots[0].name) if roots else ("", "")
    return names, root


def _driver_totals(period: str) -> dict[tuple[int, str], Decimal]:
    """(unit id, basis) -> the sum of the driver quantities it split by."""
    rows = db.session.execute(
        select(Charge.unit_id, Charge.basis, Charge.quantity)
        .where(Charge.period == period, Charge.method == "driver"))
    totals: dict[tuple[int, str], Decimal] = {}
    for unit_id, basis, quantity in rows:
        totals[(unit_id, basis)] = totals.get((unit_id, basis), Decimal(0)) + (quantity or 0)
    return totals


def _json_object(items: dict) -> str:
    """A JSON object whose Decimal values are written as JSON numbers, exactly."""
    parts = []
    for key, value in items.items():
        text = plain(value) if isinstance(value, Decimal) else json.dumps(value)
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}"


def allocation_columns(row, totals: dict) -> list[str]:
    """AllocatedMethodId, -Details, -ResourceId, -ResourceName and -Tags of a split line."""
    method, basis, quantity = row.method, row.basis, row.quantity
    found = BASIS.match(basis or "")
    if method == "usage" or found is None:
        return ["", "", "", "", ""]
    pool = found.group("pool")
    if method == "driver":
        driver = found.group("driver")
        total = totals.get((row.unit_id, basis)) or Decimal(0)
        ratio = (quantity / total).quantize(RATIO) if total and quantity is not None \
            else Decimal(0)
        element = {"AllocatedRatio": ratio, "UsageUnit": driver,
                   "UsageQuantity": quantity or Decimal(0)}
        tags = {"pool": pool, "driver": driver}
    else:
        percent = Decimal(found.group("percent"))
        element = {"AllocatedRatio": percent / 100, "UsageUnit": "percent",
                   "UsageQuantity": percent}
        tags = {"pool": pool}
    details = '{"Elements":[' + _json_object(element) + "]}"
    return [f"{method}:{pool}", details, row.consumer, row.consumer_name, _json_object(tags)]


@dataclass(frozen=True, kw_only=True)
class FocusContext:
    """What every FOCUS row of a period shares: the month, the currency, the names."""

    currency: str
    start: str
    end: str
    root: tuple[str, str]  # the holding company's (code, name)
    names: dict[str, str]  # unit code -> name at the close
    services: dict[int, tuple[str, str]]  # service id -> (name, unit of measure)
    driver_totals: dict[tuple[int, str], Decimal]


def focus_context(period: str) -> FocusContext:
    start, end = period_bounds(period)
    names, root = _names(period)
    return FocusContext(
        currency=period_currency(period), start=start, end=end, root=root, names=names,
        services={sid: (name, uom) for sid, name, uom in db.session.execute(
            select(Service.id, Service.name, Service.uom))},
        driver_totals=_driver_totals(period))


def focus_row(ctx: FocusContext, row) -> list[str]:
    """One charge line in FOCUS_COLUMNS order."""
    provider = ctx.names.get(row.unit, row.unit)
    if row.service_id is not None:
        service_name, uom = ctx.services.get(row.service_id, (row.service, ""))
    else:
        found = BASIS.match(row.basis or "")
        service_name = f"{provider}: {found.group('pool') if found else row.method} pool"
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
    ctx = focus_context(period)
    query = _charges_query(args).order_by(Charge.id)

    def lines():
        yield list(FOCUS_COLUMNS)
        for row in stream(query):
            yield focus_row(ctx, row)

    return csv_response(lines(), f"charges-focus-{period}.csv")


# --- the journal --------------------------------------------------------------------------


def _journal_query(args: dict):
    query = (select(JournalLine, Unit.code, Consumer.code)
             .join(Unit, Unit.id == JournalLine.unit_id)
             .outerjoin(Consumer, Consumer.id == JournalLine.consumer_id)
             .where(JournalLine.period == args["period"]))
    if args.get("unit"):
        query = query.where(JournalLine.unit_id == unit_in_scope(args["unit"], field="unit").id)
    for name, column in (("account", JournalLine.account), ("consumer", Consumer.code),
                         ("journal", JournalLine.journal)):
        if args.get(name):
            query = query.where(column == args[name])
    return query


def journal_dict(row) -> dict:
    line, unit, consumer = row
    return {"id": line.id, "journal": line.journal, "period": line.period, "unit": unit,
            "account": line.account, "consumer": consumer, "description": line.description,
            "debit": line.debit, "credit": line.credit, "currency": line.currency}


@bp.route("/journal")
@access(*READ_ALL)
@errors(404, 409)
@bp.arguments(JournalQuery, location="query")
@bp.response(200, JournalPageSchema)
def journal(args: dict):
    """The GL journal of a closed period (chargeback units only): per unit a debit per
    consumer and a credit to its recovery account; debits equal credits."""
    closed_period(args["period"])
    rows, cursor = paginate("journal", _journal_query(args), JournalLine.id, args)
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
    query = _journal_query(args).order_by(JournalLine.journal, JournalLine.id)

    def lines():
        yield [column.header for column in JOURNAL_COLUMNS]
        for row in stream(query):
            j = journal_dict(row)
            yield [j["journal"], j["period"], j["unit"], j["account"], j["consumer"] or "",
                   j["description"], money(j["debit"]), money(j["credit"]), j["currency"]]

    return csv_response(lines(), f"journal-{period}.csv")

