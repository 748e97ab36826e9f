"""The portfolio read model: what each close stored, rolled up over the tree as it stood then.

``rows`` is the one function that turns a closed period's stored results into portfolio
rows: the pack's Portfolio sheet and the Portfolio page both take them from it, so they
cannot disagree. Everything here only reads. Figures come from what the close froze
(ratings, unit results, the tree snapshot); the unit page's split of spend by cost pool
reads the spend lines, which are frozen with their closed month.

Performance never rolls up as one metric: a comparison of two units is told in the terms
of each unit's service model and its own scorecard (``compare``), never as a ranking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from chargeback.models import (
    Charge,
    Consumer,
    Period,
    RateCard,
    Rating,
    ScorecardVersion,
    Service,
    ServiceModel,
    SpendLine,
    Unit,
    UnitPeriodResult,
    UnitTreeSnapshot,
)
from chargeback.services.settings import thresholds_of
from reports import model as pm
from rules.model import RollupNode
from rules.money import one_decimal
from rules.rollup import roll_up

ZERO = Decimal("0.00")
TREND_PERIODS = 12


# --- closed periods and what their close stored ----------------------------------------


def closed_periods(session: Session) -> list[str]:
    """Closed months, newest first; a reopened month is left out until it is closed again."""
    return list(session.scalars(select(Period.period).where(Period.status == "closed")
                                .order_by(Period.period.desc())))


def window(closed: Sequence[str], period: str, size: int = TREND_PERIODS) -> list[str]:
    """The last ``size`` closed periods up to ``period``, oldest first (for trends)."""
    return sorted(p for p in closed if p <= period)[-size:]


@dataclass(frozen=True)
class StoredPeriod:
    """What the close of ``period`` stored, keyed by unit code; ``tree`` is its snapshot."""

    period: str
    tree: dict[str, UnitTreeSnapshot]
    results: dict[str, UnitPeriodResult]
    ratings: dict[str, Rating]

    def parents(self) -> dict[str, str | None]:
        return {code: t.parent_code for code, t in self.tree.items()}


def load(session: Session, period: str) -> StoredPeriod:
    code_of = dict(session.execute(select(Unit.id, Unit.code)).all())
    tree = {t.unit_code: t for t in session.scalars(
        select(UnitTreeSnapshot).where(UnitTreeSnapshot.period == period))}
    results = {code_of[r.unit_id]: r for r in session.scalars(
        select(UnitPeriodResult).where(UnitPeriodResult.period == period))}
    ratings = {code_of[r.unit_id]: r for r in session.scalars(
        select(Rating).where(Rating.period == period))}
    return StoredPeriod(period=period, tree=tree, results=results, ratings=ratings)


def internal_charges(session: Session, period: str) -> list[tuple[str, str, Decimal]]:
    """(from unit, to unit, amount): charges to consumers that are units, summed by pair."""
    provider, receiver = aliased(Unit), aliased(Unit)
    found = session.execute(
        select(provider.code, receiver.code, Charge.amount)
        .join(provider, provider.id == Charge.unit_id)
        .join(Consumer, Consumer.id == Charge.consumer_id)
        .join(receiver, receiver.id == Consumer.unit_id)
        .where(Charge.period == period))
    sums: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for a, b, amount in found:
        sums[(a, b)] += amount
    return [(a, b, amount) for (a, b), amount in sorted(sums.items())]


# --- the portfolio rows: the pack's sheet and the page ---------------------------------


def rows(session: Session, stored: StoredPeriod) -> tuple[tuple[pm.PortfolioRow, ...],
                                                          tuple[str, ...]]:
    """One row per unit of the stored tree, groups rolled up, in tree order; and the notes.

    Money rolls up by sums with internal charges eliminated; attainment by spend-weighted
    roll-up of each unit's attainment against its own scorecard (rules.rollup).
    """
    internal = internal_charges(session, stored.period)
    rolled, errors = roll_up(_nodes(stored), internal, thresholds_of(session, stored.period))
    if errors:
        raise ValueError("the stored tree cannot be rolled up: " + "; ".join(map(str, errors)))
    parents = {t.parent_code for t in stored.tree.values()}
    return (tuple(_row(stored, row, row.code in parents) for row in rolled),
            _notes(stored.results.values(), internal, _showback(session, stored)))


def _nodes(stored: StoredPeriod) -> list[RollupNode]:
    nodes = []
    for code, t in stored.tree.items():
        r, rating = stored.results.get(code), stored.ratings.get(code)
        nodes.append(RollupNode(
            code=code, parent=t.parent_code, spend=r.spend if r else ZERO,
            budget=r.budget if r else None, charged=r.charged if r else ZERO,
            attainment=rating.attainment if rating else None,
            band=rating.band if rating else "unrated"))
    return nodes


def _row(stored: StoredPeriod, row, is_group: bool) -> pm.PortfolioRow:
    t, rating = stored.tree[row.code], stored.ratings.get(row.code)
    own = rating if (is_group and rating) else None
    return pm.PortfolioRow(
        unit=row.code, name=t.name, parent=t.parent_code, depth=row.depth,
        is_group=is_group, service_model=t.service_model_code, billing_mode=t.billing_mode,
        spend=row.spend, budget=row.budget, charged=row.charged,
        recovery_pct=row.recovery_pct, absorbed=row.spend - row.charged,
        internal_eliminated=row.eliminated, attainment=row.attainment, band=row.band,
        own_attainment=own.attainment if own else None, own_band=own.band if own else None,
        band_counts=dict(row.band_counts) if is_group else {})


def _showback(session: Session, stored: StoredPeriod) -> Decimal:
    """What showback units charged business consumers: computed and shown, never posted."""
    showback = [code for code, t in stored.tree.items() if t.billing_mode == "showback"]
    if not showback:
        return ZERO
    amounts = session.scalars(
        select(Charge.amount).join(Unit, Unit.id == Charge.unit_id)
        .join(Consumer, Consumer.id == Charge.consumer_id)
        .where(Charge.period == stored.period, Unit.code.in_(showback),
               Consumer.unit_id.is_(None)))
    return sum(amounts, ZERO)


def _notes(results: Iterable[UnitPeriodResult], internal,
           showback: Decimal = ZERO) -> tuple[str, ...]:
    results = list(results)
    spend = sum((r.spend - r.internal_received for r in results), ZERO)
    absorbed = sum((r.absorbed for r in results), ZERO)
    moved = sum((amount for _, _, amount in internal), ZERO)
    charged = spend - absorbed
    return (
        f"External spend {spend:,.2f} = charged to business consumers {charged:,.2f} "
        f"+ absorbed by units {absorbed:,.2f} (conservation checked at the close).",
        f"Internal charges between units: {moved:,.2f}, eliminated in the group roll-ups.",
        f"Of the {charged:,.2f} charged to business consumers, {charged - showback:,.2f} is "
        f"posted to the journal and {showback:,.2f} is showback (computed and reported, "
        "not posted).",
    )


def own_attainment(row: pm.PortfolioRow) -> tuple[Decimal | None, str]:
    """A unit's attainment and band against its own scorecard (a group's own rating)."""
    if row.is_group:
        return row.own_attainment, row.own_band or "unrated"
    return row.attainment, row.band


# --- the tree ---------------------------------------------------------------------------


def tree_order(parents: Mapping[str, str | None]) -> list[tuple[str, int]]:
    """(code, depth) depth first, children by code. A unit whose parent is not in
    ``parents`` is a root, so a unit head's part of the tree orders the same way."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for code in sorted(parents):
        parent = parents[code]
        children[parent if parent in parents else None].append(code)
    order: list[tuple[str, int]] = []
    stack = [(code, 0) for code in reversed(children[None])]
    while stack:
        code, depth = stack.pop()
        order.append((code, depth))
        stack += [(child, depth + 1) for child in reversed(children[code])]
    return order


def subtree(parents: Mapping[str, str | None], code: str) -> set[str]:
    """``code`` and every unit below it."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    seen, stack = set(), [code]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack += children[current]
    return seen


def pick(portfolio: Iterable[pm.PortfolioRow], *, visible: set[str] | None = None,
         within: set[str] | None = None, model: str | None = None) -> list[pm.PortfolioRow]:
    """The rows a filter keeps, in tree order; group rows keep their whole-subtree roll-up."""
    return [r for r in portfolio
            if (visible is None or r.unit in visible) and (within is None or r.unit in within)
            and (model is None or r.service_model == model)]


# --- scorecards and trends --------------------------------------------------------------


def scorecard_of(session: Session, code: str, rating: Rating,
                 snapshot: UnitTreeSnapshot | None) -> pm.UnitScorecard:
    """A stored rating with its criteria, as the pack's unit sheet and the pages show it."""
    version = session.get(ScorecardVersion, rating.scorecard_version_id)
    return pm.UnitScorecard(
        unit=code, name=snapshot.name if snapshot else code,
        service_model=snapshot.service_model_code if snapshot else "",
        version=version.version, effective_from=version.effective_from,
        attainment=rating.attainment, band=rating.band,
        criteria=tuple(pm.CriterionRow(
            key=c.key, label=c.label, expr=c.expr, direction=c.direction, method=c.method,
            weight=c.weight, target=c.target, floor=c.floor, bands=bands_text(c.bands),
            actual=c.actual, score=c.score, note=c.note, explanation=c.explanation)
            for c in rating.results))


def bands_text(bands) -> str | None:
    if not bands:
        return None
    return "; ".join(f"{b['at']} -> {b['score']}" for b in bands)


def history(session: Session, periods: Sequence[str],
            codes: Iterable[str]) -> dict[str, dict[str, tuple[Decimal | None, str]]]:
    """code -> {period: (attainment, band)} of each unit's own ratings in ``periods``."""
    wanted = set(codes)
    found = session.execute(select(Unit.code, Rating.period, Rating.attainment, Rating.band)
                            .join(Unit, Unit.id == Rating.unit_id)
                            .where(Rating.period.in_(list(periods))))
    result: dict[str, dict[str, tuple[Decimal | None, str]]] = defaultdict(dict)
    for code, period, attainment, band in found:
        if code in wanted:
            result[code][period] = (attainment, band)
    return result


# --- comparing two units without one yardstick ------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Side:
    """One unit of a comparison: its portfolio row, its service model and its own rating."""

    row: pm.PortfolioRow
    model_name: str
    scorecard: pm.UnitScorecard | None

    @property
    def label(self) -> str:
        return f"{self.row.name} ({self.row.unit})"

    @property
    def model_words(self) -> str:
        return self.row.service_model.replace("_", " ")


@dataclass(frozen=True, kw_only=True)
class Comparison:
    period: str
    a: Side
    b: Side
    difference: Decimal  # a's spend minus b's
    sentences: tuple[str, ...]


def model_names(session: Session) -> dict[str, str]:
    """Service model code -> the name people read, in code order."""
    return dict(session.execute(select(ServiceModel.code, ServiceModel.name)
                                .order_by(ServiceModel.code)).all())


def compare(session: Session, stored: StoredPeriod, portfolio: Sequence[pm.PortfolioRow],
            a: str, b: str) -> Comparison:
    """Why two units' spend differs, in the terms of their service models and scorecards."""
    by_code = {r.unit: r for r in portfolio}
    names = model_names(session)

    def side(code: str) -> Side:
        row, rating = by_code[code], stored.ratings.get(code)
        card = scorecard_of(session, code, rating, stored.tree.get(code)) if rating else None
        return Side(row=row, model_name=names.get(row.service_model, row.service_model),
                    scorecard=card)

    first, second = side(a), side(b)
    return Comparison(period=stored.period, a=first, b=second,
                      difference=first.row.spend - second.row.spend,
                      sentences=explain(first, second))


def explain(a: Side, b: Side) -> tuple[str, ...]:
    """Plain sentences like the spec's: "Altoona spends more ... because it runs customer
    intimacy, and against its own scorecard it scores 87.0". Never a winner."""
    if a.row.spend == b.row.spend:
        opening = (f"{a.label} and {b.label} spend the same ({a.row.spend:,.2f}); "
                   f"{a.row.unit} runs {a.model_words} and {b.row.unit} runs {b.model_words}.")
        more, less = a, b
    else:
        more, less = (a, b) if a.row.spend > b.row.spend else (b, a)
        gap = more.row.spend - less.row.spend
        if more.row.service_model != less.row.service_model:
            opening = (f"{more.label} spends {gap:,.2f} more than {less.label} because it "
                       f"runs {more.model_words}, and {_scores(more)}.")
        else:
            opening = (f"{more.label} spends {gap:,.2f} more than {less.label}; both run "
                       f"{more.model_words}, so the difference is not one of service model.")
    sentences = [opening]
    if more.row.service_model != less.row.service_model and a.row.spend != b.row.spend:
        sentences.append(f"{less.label} runs {less.model_words}, and {_scores(less)}.")
    else:
        sentences += [f"{s.label}: {_scores(s)}." for s in (more, less)]
    sentences.append(f"Each is rated on its own criteria ({_criteria(a)}; {_criteria(b)}), "
                     "so the two scores are not one yardstick and neither unit ranks above "
                     "the other.")
    return tuple(sentences)


def _scores(side: Side) -> str:
    card = side.scorecard
    if card is not None and card.attainment is not None:
        return f"against its own scorecard it scores {one_decimal(card.attainment)} ({card.band})"
    if card is not None:
        return "against its own scorecard none of its criteria could be rated"
    if side.row.is_group and side.row.attainment is not None:
        return (f"it has no scorecard of its own; its units, each against their own "
                f"scorecards, roll up to {one_decimal(side.row.attainment)} ({side.row.band})")
    return "it has no scorecard in force, so it is not rated"


def _criteria(side: Side) -> str:
    if side.scorecard is None or not side.scorecard.criteria:
        return f"{side.row.unit}: no scorecard"
    return f"{side.row.unit}: " + ", ".join(c.label for c in side.scorecard.criteria)


# --- one unit's page --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SpendMonth:
    """A unit's own money in a closed month; ``pools`` is external spend by cost pool."""

    period: str
    pools: dict[str, Decimal]
    internal: Decimal | None
    spend: Decimal | None
    budget: Decimal | None
    charged: Decimal | None

    @property
    def variance(self) -> Decimal | None:
        """Spend over budget (negative: under budget); None without a budget."""
        if self.spend is None or self.budget is None:
            return None
        return self.spend - self.budget


def spend_history(session: Session, unit_id: int,
                  periods: Sequence[str]) -> tuple[list[str], list[SpendMonth]]:
    """The cost pools seen, and each month's spend by pool against the budget.

    Pools are summed here as Decimals: SQLite would add them as doubles.
    """
    pools: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for period, pool, amount in session.execute(
            select(SpendLine.period, SpendLine.cost_pool, SpendLine.amount)
            .where(SpendLine.unit_id == unit_id, SpendLine.period.in_(list(periods)))):
        pools[period][pool] = pools[period].get(pool, ZERO) + amount
    results = {r.period: r for r in session.scalars(
        select(UnitPeriodResult).where(UnitPeriodResult.unit_id == unit_id,
                                       UnitPeriodResult.period.in_(list(periods))))}
    months = []
    for period in periods:
        r = results.get(period)
        months.append(SpendMonth(
            period=period, pools=pools.get(period, {}),
            internal=r.internal_received if r else None, spend=r.spend if r else None,
            budget=r.budget if r else None, charged=r.charged if r else None))
    return sorted({pool for by in pools.values() for pool in by}), months


@dataclass(frozen=True, kw_only=True)
class ChargeSum:
    """Charges summed by consumer or by service (``code`` None: a driver or fixed split)."""

    code: str | None
    name: str
    detail: str  # the consumer's GL account, or the service's unit of measure / method
    lines: int
    quantity: Decimal | None
    amount: Decimal


def charges_by_consumer(session: Session, unit_id: int, period: str) -> list[ChargeSum]:
    sums: dict[tuple, list] = {}
    for code, name, account, amount in session.execute(
            select(Consumer.code, Consumer.name, Consumer.gl_account, Charge.amount)
            .join(Consumer, Consumer.id == Charge.consumer_id)
            .where(Charge.period == period, Charge.unit_id == unit_id)).yield_per(10_000):
        entry = sums.setdefault((code, name, account), [0, ZERO])
        entry[0] += 1
        entry[1] += amount
    return [ChargeSum(code=code, name=name, detail=account, lines=n, quantity=None, amount=total)
            for (code, name, account), (n, total) in sorted(sums.items())]


def charges_by_service(session: Session, unit_id: int, period: str) -> list[ChargeSum]:
    """Usage charges by service with their quantity; driver and fixed splits by method."""
    sums: dict[tuple, list] = {}
    for code, name, uom, method, quantity, amount in session.execute(
            select(Service.code, Service.name, Service.uom, Charge.method, Charge.quantity,
                   Charge.amount)
            .outerjoin(Service, Service.id == Charge.service_id)
            .where(Charge.period == period, Charge.unit_id == unit_id)).yield_per(10_000):
        key = (code or "", name or f"{method} split", uom if code else method)
        entry = sums.setdefault(key, [0, None, ZERO])
        entry[0] += 1
        if code and quantity is not None:
            entry[1] = (entry[1] or Decimal(0)) + quantity
        entry[2] += amount
    return [ChargeSum(code=code or None, name=name, detail=detail, lines=n, quantity=qty,
                      amount=total)
            for (code, name, detail), (n, qty, total) in sorted(sums.items())]


@dataclass(frozen=True, kw_only=True)
class ChargeLine:
    consumer: str
    consumer_name: str
    service: str | None
    method: str
    basis: str
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal


def charge_count(session: Session, unit_id: int, period: str) -> int:
    return session.scalar(select(func.count()).select_from(Charge).where(
        Charge.period == period, Charge.unit_id == unit_id))


def charge_lines(session: Session, unit_id: int, period: str, offset: int,
                 limit: int) -> list[ChargeLine]:
    """One page of a unit's charge lines in a period, in the order the close stored them."""
    found = session.execute(
        select(Consumer.code, Consumer.name, Service.code, Charge.method, Charge.basis,
               Charge.quantity, Charge.rate, Charge.amount)
        .join(Consumer, Consumer.id == Charge.consumer_id)
        .outerjoin(Service, Service.id == Charge.service_id)
        .where(Charge.period == period, Charge.unit_id == unit_id)
        .order_by(Charge.id).offset(offset).limit(limit))
    return [ChargeLine(consumer=c, consumer_name=n, service=s, method=m, basis=b, quantity=q,
                       rate=r, amount=a) for c, n, s, m, b, q, r, a in found]


def ratings_of(session: Session, unit_id: int, code: str,
               periods: Sequence[str]) -> dict[str, pm.UnitScorecard]:
    """period -> the unit's stored rating with its criteria, for the periods it was rated."""
    snapshots = {t.period: t for t in session.scalars(
        select(UnitTreeSnapshot).where(UnitTreeSnapshot.unit_code == code,
                                       UnitTreeSnapshot.period.in_(list(periods))))}
    return {r.period: scorecard_of(session, code, r, snapshots.get(r.period))
            for r in session.scalars(select(Rating).where(Rating.unit_id == unit_id,
                                                          Rating.period.in_(list(periods))))}


@dataclass(frozen=True, kw_only=True)
class PricedService:
    code: str
    name: str
    uom: str
    rates: list[tuple[str, Decimal]]  # (effective_from, price), oldest first
    in_force: str | None  # effective_from of the price in force for the period asked

    def price_in_force(self) -> Decimal | None:
        return dict(self.rates).get(self.in_force) if self.in_force else None


def services_of(session: Session, unit_id: int, period: str | None) -> list[PricedService]:
    """The unit's services and rate cards; which price is in force for ``period``."""
    services = list(session.scalars(select(Service).where(Service.unit_id == unit_id)
                                    .order_by(Service.code)))
    rates: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for service_id, start, price in session.execute(
            select(RateCard.service_id, RateCard.effective_from, RateCard.price)
            .where(RateCard.service_id.in_([s.id for s in services]))
            .order_by(RateCard.effective_from)):
        rates[service_id].append((start, price))
    priced = []
    for s in services:
        starts = [start for start, _ in rates[s.id] if period is None or start <= period]
        priced.append(PricedService(code=s.code, name=s.name, uom=s.uom, rates=rates[s.id],
                                    in_force=starts[-1] if starts else None))
    return priced
