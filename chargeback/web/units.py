"""The units: the tree a user may see, and one unit's page.

A unit's page shows one closed month as its close froze it: the unit as it stood then, its
own money (spend by cost pool against budget over the closed months up to it), what it
charged by consumer and by service, what it was billed as a consumer itself (its statement,
for download), how each month's rating came about criterion by criterion, and its
services at the price the month was rated at. Its charge lines page
lists every line with how it was computed, and a usage charge opens the usage lines it
adds up (usage is rated in aggregate). What changed about the
unit since is said beside it, never mixed into the month's figures. A unit head opening a
unit outside their subtree gets 403, not a hidden link.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from chargeback.access import ALL_ROLES
from chargeback.extensions import db
from chargeback.refusals import NotFound
from chargeback.services.queries import (
    catalog,
    charges,
    closed_month,
    listing,
    periods,
    ratings,
    spend,
    statements,
    usage,
)
from chargeback.services.queries import tree as units_tree
from chargeback.services.queries.portfolio import standings_of
from chargeback.web import downloads, unit_tables
from chargeback.web.guards import page_and_pages, roles, unit_or_403, visible_codes
from chargeback.web.portfolio import choose_period, printable
from rules.vocabulary import BANDS, BILLING_MODES

bp = Blueprint("units", __name__, template_folder="templates")

PAGE_SIZE = 50


def _list_spec(models: dict[str, str]) -> listing.ListSpec:
    """The units list, held in memory in tree order: rows are (unit, depth, rating)."""
    def attainment(row):
        return row[2][0] if row[2] else None

    return listing.ListSpec(
        sorts={"tree": listing.Sort("Tree order"),
               "code": listing.Sort("Code", (lambda row: row[0].code,)),
               "name": listing.Sort("Name", (lambda row: row[0].name,)),
               "model": listing.Sort("Service model", (lambda row: row[0].service_model_code,)),
               "billing": listing.Sort("Billing", (lambda row: row[0].billing_mode,)),
               "attainment": listing.Sort("Attainment", (attainment,), nullable=True)},
        default_sort="tree",
        search=(lambda row: row[0].code, lambda row: row[0].name,
                lambda row: row[0].head_email),
        search_label="Code, name or head",
        filters={
            "model": listing.Filter("Service model", tuple(models.items()),
                                    lambda v: lambda row: row[0].service_model_code == v),
            "billing": listing.Filter("Billing", listing.choices(BILLING_MODES),
                                      lambda v: lambda row: row[0].billing_mode == v),
            "band": listing.Filter("Band", listing.choices(BANDS),
                                   lambda v: lambda row: (row[2][1] if row[2] else "unrated")
                                   == v),
            "status": listing.Filter("Status", (("active", "active"), ("retired", "retired")),
                                     lambda v: lambda row: row[0].active == (v == "active"))})


@bp.route("/units")
@roles(*ALL_ROLES)
def index():
    """The tree of units the user may see today, with each unit's latest rating; searched,
    filtered and sorted in memory (the tree order is computed here, not in SQL)."""
    visible = visible_codes()
    placed = units_tree.ordered(db.session, visible)
    latest = periods.latest_closed(db.session)
    found = standings_of(db.session, latest) if latest else {}
    rows = [(p.unit, p.depth, found.get(p.unit.code)) for p in placed]
    models = units_tree.service_model_names(db.session)
    spec = _list_spec(models)
    asked = listing.parse(spec, request.args)
    page = listing.rows_page(spec, rows, asked)
    return render_template("units/index.html", rows=page.items, page=page, spec=spec,
                           asked=asked, latest=latest, models=models,
                           whole_tree=visible is None, any_unit=bool(rows))


@bp.route("/units/<code>")
@roles(*ALL_ROLES)
def show(code: str):
    unit = _unit(code)
    closed = periods.closed(db.session)
    page_data = {"unit": unit, "period": None,
                 "models": units_tree.service_model_names(db.session)}
    if not closed:
        page_data["services"] = catalog.services(db.session, None, {unit.id})
        return render_template("units/show.html", **page_data)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    node = closed_month.node_of(db.session, period, unit.id)
    page_data.update(period=period, closed=closed, warnings=warnings, node=node)
    if node is None:
        return render_template("units/show.html", **page_data)
    window = periods.window(closed, period)
    pools, months = spend.history(db.session, unit.id, window)
    consumer_count, charged = charges.consumer_totals(db.session, period, unit.id)
    page, pages = page_and_pages(consumer_count, PAGE_SIZE)
    page_data.update(
        periods=window, pools=pools, months=months, spend_chart=_spend_chart(pools, months),
        ratings=ratings.of_unit(db.session, unit.id, window),
        standing=standings_of(db.session, period).get(node.code),
        by_service=charges.by_service(db.session, period, unit.id),
        consumers=charges.by_consumer(db.session, period, unit.id, (page - 1) * PAGE_SIZE,
                                      PAGE_SIZE),
        consumer_count=consumer_count, charged=charged, page=page, pages=pages,
        has_children=closed_month.has_children(db.session, period, node.code),
        services=closed_month.services_of(db.session, period, node.code),
        changed=_changes_since(unit, node),
        own_statements=statements.totals(db.session, period, {node.code}))
    return render_template("units/show.html", **page_data)


@bp.route("/units/<code>/charges", endpoint="charges")
@roles(*ALL_ROLES)
def charges_page(code: str):
    """A unit's charge lines in a closed month, 50 a page, with how each was computed."""
    unit = _unit(code)
    closed = periods.closed(db.session)
    if not closed:
        return render_template("units/charges.html", unit=unit, period=None)
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    node = closed_month.node_of(db.session, period, unit.id)
    total = charges.count(db.session, period, unit.id)
    page, pages = page_and_pages(total, PAGE_SIZE)
    lines = charges.of_unit(db.session, period, unit.id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template("units/charges.html", unit=unit, node=node, period=period,
                           closed=closed, warnings=warnings, lines=lines, total=total,
                           page=page, pages=pages)


@bp.route("/units/<code>/charges/usage", endpoint="usage")
@roles(*ALL_ROLES)
def usage_page(code: str):
    """The usage lines behind one usage charge line of a closed month (``?consumer=`` and
    ``?service=``, codes of the close), 50 a page, with their sum: usage is rated in
    aggregate, so the charge's quantity is that sum and each line shows where it came from
    (its import batch)."""
    unit = _unit(code)
    closed = periods.closed(db.session)
    consumer = request.args.get("consumer", "").strip()
    service = request.args.get("service", "").strip()
    if not closed:
        raise NotFound("No period is closed yet: usage is charged when a period closes.",
                       kind="period")
    if not consumer or not service:
        raise NotFound("Which usage charge? Name its consumer and service (?consumer= and "
                       "?service=), as the unit's charge lines link to it.", kind="charge")
    warnings: list[str] = []
    period = choose_period(closed, warnings)
    plausible = units_tree.plausible_code(consumer) and units_tree.plausible_code(service)
    charge = usage.charge_of(db.session, period, unit.id, consumer, service) \
        if plausible else None  # PostgreSQL refuses a NUL: such a code is not looked up
    if charge is None:
        raise NotFound(f"{unit.code} made no usage charge to {printable(consumer)} for "
                       f"{printable(service)} in {period}.", kind="charge")
    filters = usage.Filters(unit_ids={unit.id}, consumer=consumer, service=service)
    found = usage.totals(db.session, period, filters)
    page, pages = page_and_pages(found.lines, PAGE_SIZE)
    lines = usage.slice_of(db.session, period, filters, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return render_template("units/usage.html", unit=unit, period=period, closed=closed,
                           warnings=warnings, charge=charge, found=found, lines=lines,
                           page=page, pages=pages)


@bp.get(f"/units/<code>/export.<any({downloads.FORMATS}):fmt>", endpoint="export")
@roles(*ALL_ROLES)
def unit_export(code: str, fmt: str):
    """A unit's page of a closed month as tables: its rating criterion by criterion (the
    pack's unit sheet), its spend by month, what it charged by service and by consumer
    (every consumer, not a page of them), all from what the month's close froze."""
    unit = _unit(code)
    period, node = _closed_node(unit)
    window = periods.window(periods.closed(db.session), period)
    pools, months = spend.history(db.session, unit.id, window)
    sections = unit_tables.sections(
        node.code, period, ratings.of_unit(db.session, unit.id, [period]).get(period),
        pools, months, charges.by_service(db.session, period, unit.id),
        charges.by_consumer(db.session, period, unit.id))
    return downloads.send(fmt, f"{node.code}-{period}", sections)


@bp.get(f"/units/<code>/charges/export.<any({downloads.FORMATS}):fmt>",
        endpoint="charges_export")
@roles(*ALL_ROLES)
def charges_export(code: str, fmt: str):
    """Every charge line of the unit in the month, in the pack's Charges columns."""
    from reports.export import Section
    from reports.sheets import charges as sheet

    unit = _unit(code)
    period, node = _closed_node(unit)
    lines = charges.stream(db.session, period, charges.Filters(unit_ids={unit.id}))
    rows = [(r.unit, r.service, r.consumer, r.consumer_name, r.method, r.basis,
             r.billing_mode, r.quantity, r.rate, r.amount) for r in lines]
    return downloads.send(fmt, f"charges-{node.code}-{period}",
                          [Section(sheet.TITLE, sheet.COLUMNS, rows)])


def _closed_node(unit) -> tuple[str, closed_month.Node]:
    """The closed month the download asks for (``?period=``, else the latest) and the unit
    as it stood then: 404 when no month is closed or the unit was not in its tree."""
    closed = periods.closed(db.session)
    if not closed:
        raise NotFound("No period is closed yet: a unit's figures come with a close.",
                       kind="period")
    period = choose_period(closed, [])
    node = closed_month.node_of(db.session, period, unit.id)
    if node is None:
        raise NotFound(f"{unit.code} was not in the tree when {period} closed.", kind="unit")
    return period, node


def _unit(code: str):
    """The unit of the URL: 404 for a code no unit could have, 403 outside the scope."""
    if not units_tree.plausible_code(code):
        abort(404)
    return unit_or_403(code)


def _changes_since(unit, node: closed_month.Node) -> list[str]:
    """What is different about the unit today from when the month closed, in words."""
    changes = []
    if unit.name != node.name:
        changes.append(f"renamed {unit.name}")
    parent = unit.parent.code if unit.parent else None
    if parent != node.parent:
        changes.append(f"now under {parent}" if parent else "now the root of the tree")
    if unit.service_model_code != node.model:
        changes.append(f"now runs {unit.service_model_code.replace('_', ' ')}")
    if unit.billing_mode != node.billing_mode:
        changes.append(f"now in {unit.billing_mode}")
    return changes


def _money(value) -> str | None:
    return None if value is None else str(value)


def _spend_chart(pools: list[str], months: list[spend.SpendMonth]) -> dict:
    """Spend by cost pool (stacked), internal charges received, and the budget line."""
    return {
        "periods": [m.period for m in months],
        "pools": [{"code": pool, "values": [_money(m.pools.get(pool)) for m in months]}
                  for pool in pools],
        "internal": [_money(m.internal) for m in months],
        "budget": [_money(m.budget) for m in months],
    }
