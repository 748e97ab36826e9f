"""The portfolio of a closed month: every unit against its own scorecard, rolled up over
the tree as it stood at the close.

``rows`` is the one function that turns a closed month into portfolio rows: the pack's
Portfolio sheet, the Portfolio page and the API take them from it, so they cannot disagree.
Money rolls up by sums with the internal charges between units eliminated; attainment by
the spend-weighted roll-up of each unit's attainment against its own scorecard
(``rules.rollup``). Performance never rolls up as one metric: a comparison of two units is
told in the terms of each unit's service model and its own scorecard (``compare``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from chargeback.services.queries import ratings, variability
from chargeback.services.queries.closed_month import ClosedMonth
from chargeback.vocabulary import FROZEN_STATUSES
from reports import model as pm
from rules.envelope import Envelope, fiscal_year
from rules.model import RollupNode
from rules.money import one_decimal, percent_of
from rules.rollup import roll_up

ZERO = Decimal("0.00")


def rows(month: ClosedMonth) -> tuple[tuple[pm.PortfolioRow, ...], tuple[str, ...]]:
    """One row per unit of the month's tree, groups rolled up, in tree order; and the notes."""
    rolled, errors = roll_up(_nodes(month), month.internal, month.limits)
    if errors:
        raise ValueError("the stored tree cannot be rolled up: " + "; ".join(map(str, errors)))
    parents = {node.parent for node in month.tree.values()}
    return tuple(_row(month, row, row.code in parents) for row in rolled), notes(month)


def _nodes(month: ClosedMonth) -> list[RollupNode]:
    nodes = []
    for code, node in month.tree.items():
        money, grade = month.money.get(code), month.grades.get(code)
        nodes.append(RollupNode(
            code=code, parent=node.parent, spend=money.spend if money else ZERO,
            budget=money.budget if money else None, charged=money.charged if money else ZERO,
            attainment=grade.attainment if grade else None,
            band=grade.band if grade else "unrated", showback=node.billing_mode == "showback"))
    return nodes


def _row(month: ClosedMonth, row, is_group: bool) -> pm.PortfolioRow:
    node, grade = month.tree[row.code], month.grades.get(row.code)
    own = grade if (is_group and grade) else None
    variance = row.variance
    variance_pct = None if row.budget is None else percent_of(row.variance, row.budget)
    envelope = venture_envelope(month, row.code) if not is_group else None
    if envelope is not None:
        variance, variance_pct = envelope.variance, percent_of(envelope.variance,
                                                                envelope.total)
    return pm.PortfolioRow(
        unit=row.code, name=node.name, parent=node.parent, depth=row.depth,
        is_group=is_group, service_model=node.model, billing_mode=node.billing_mode,
        spend=row.spend, budget=row.budget, charged=row.charged,
        recovery_pct=row.recovery_pct, absorbed=row.spend - row.charged,
        internal_eliminated=row.eliminated, attainment=row.attainment, band=row.band,
        own_attainment=own.attainment if own else None, own_band=own.band if own else None,
        band_counts=dict(row.band_counts) if is_group else {},
        variance=variance, variance_pct=variance_pct,
        envelope=envelope.total if envelope is not None else None,
        showback=row.showback, without_budget=row.without_budget)


def venture_envelope(month: ClosedMonth, code: str) -> Envelope | None:
    """A venture's envelope in the month, from what its close froze (None: not a venture,
    or a venture without a budget in the fiscal year)."""
    money = month.money.get(code)
    if money is None or money.envelope is None or money.envelope_spent is None:
        return None
    months = fiscal_year(month.period, month.fiscal_year_start)
    return Envelope(total=money.envelope, spent=money.envelope_spent, burn=money.spend,
                    months_left=len(months) - 1 - months.index(month.period))


def notes(month: ClosedMonth) -> tuple[str, ...]:
    """The conservation check's figures and how much of the recovery is showback."""
    spend = sum((m.spend - m.internal_received for m in month.money.values()), ZERO)
    absorbed = sum((m.absorbed for m in month.money.values()), ZERO)
    moved = sum((amount for _, _, amount in month.internal), ZERO)
    showback = sum((m.charged_external for code, m in month.money.items()
                    if month.tree[code].billing_mode == "showback"), ZERO)
    charged = spend - absorbed
    lacking = sorted(code for code in month.tree
                     if month.money.get(code) is None or month.money[code].budget is None)
    checked = ("conservation checked at the close" if month.status in FROZEN_STATUSES else
               "conservation checked when this provisional pack was computed; the month is "
               "not closed")
    return (
        f"External spend {spend:,.2f} = charged to business consumers {charged:,.2f} "
        f"+ absorbed by units {absorbed:,.2f} ({checked}).",
        f"Internal charges between units: {moved:,.2f}, eliminated in the group roll-ups.",
        f"Of the {charged:,.2f} charged to business consumers, {charged - showback:,.2f} is "
        f"posted to the journal and {showback:,.2f} is showback (computed and reported, "
        "not posted).",
    ) + _budget_notes(month, lacking) + _envelope_notes(month)


def _budget_notes(month: ClosedMonth, lacking: list[str]) -> tuple[str, ...]:
    """Which units have no budget for the month, and so which groups have none either."""
    if not lacking:
        return ()
    parents = month.parents()
    groups = set()
    for code in lacking:
        while (code := parents[code]) is not None:
            groups.add(code)
    text = (f"No budget for {month.period}: {', '.join(lacking)}. Budget and Variance are "
            "empty for these units")
    text += (f" and for the groups above them ({', '.join(sorted(groups))}), whose budget "
             "would otherwise not be on the basis of their spend." if groups else ".")
    return (text,)


def _envelope_notes(month: ClosedMonth) -> tuple[str, ...]:
    """Each venture's envelope in words, and why a group's variance stays the month's."""
    notes = []
    for code in sorted(month.tree):
        envelope = venture_envelope(month, code)
        if envelope is None:
            continue
        runway = envelope.runway_months
        notes.append(
            f"{code} is a venture: its Variance is its funding envelope's, not the month's. "
            f"Envelope {envelope.total:,.2f} for the fiscal year, {envelope.spent:,.2f} spent "
            f"to date, {envelope.burn:,.2f} this month: at this burn the year ends "
            f"{abs(envelope.variance):,.2f} {'over' if envelope.variance > 0 else 'under'} "
            f"the envelope"
            + (f", with {one_decimal(runway)} months of runway." if runway is not None
               else ".")
            + " The groups above it keep the month's variance (spend minus budget of the "
              "subtree), so a group's Variance is not the sum of its units' when a venture "
              "is among them.")
    return tuple(notes)


def standing(row: pm.PortfolioRow) -> tuple[Decimal | None, str]:
    """A unit's or group's standing in a closed month, (attainment, band): a unit against
    its own scorecard, a group by the spend-weighted roll-up of its subtree. The Portfolio
    page, the units list and the unit page all show this, so a group is never "unrated" on
    one page and rated on another."""
    return row.attainment, row.band


def standings(portfolio: Iterable[pm.PortfolioRow]) -> dict[str, tuple[Decimal | None, str]]:
    """Unit code -> ``standing`` for every row of a month's portfolio."""
    return {row.unit: standing(row) for row in portfolio}


def standings_of(session: Session, period: str) -> dict[str, tuple[Decimal | None, str]]:
    """The standings of a closed month, read from what its close froze."""
    from chargeback.services.queries import closed_month

    return standings(rows(closed_month.load(session, period, "USD"))[0])  # no money shown


def own_attainment(row: pm.PortfolioRow) -> tuple[Decimal | None, str]:
    """A unit's attainment and band against its own scorecard (a group's own rating)."""
    if row.is_group:
        return row.own_attainment, row.own_band or "unrated"
    return row.attainment, row.band


def pick(portfolio: Iterable[pm.PortfolioRow], *, visible: set[str] | None = None,
         within: set[str] | None = None, model: str | None = None) -> list[pm.PortfolioRow]:
    """The rows a filter keeps, in tree order; group rows keep their whole-subtree roll-up."""
    return [r for r in portfolio
            if (visible is None or r.unit in visible) and (within is None or r.unit in within)
            and (model is None or r.service_model == model)]


def notes_shown(notes: Sequence[str], *, visible: set[str] | None,
                within: set[str] | None = None, model: str | None = None) -> tuple[str, ...]:
    """The month's notes when the whole tree is shown unfiltered, else none: they speak of
    the whole holding (its external spend, its internal charges, every unit's budget and
    envelope), which a unit head may not see and a filtered view does not add up to. The
    Portfolio page and the API both ask here, so they show notes to the same people."""
    return tuple(notes) if visible is None and within is None and model is None else ()


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
    # the services told apart on customer-introduced variability, as the month froze them
    variability: variability.Contrast | None = None


def compare(session: Session, month: ClosedMonth, portfolio: Sequence[pm.PortfolioRow],
            a: str, b: str) -> Comparison:
    """Why two units' spend differs, in the terms of their service models and scorecards,
    and of what their services do with customer-introduced variability (as the month's
    close froze it)."""
    by_code = {r.unit: r for r in portfolio}
    cards = ratings.scorecards(session, month.period, [a, b])

    def side(code: str) -> Side:
        node = month.tree[code]
        return Side(row=by_code[code], model_name=node.model_name, scorecard=cards.get(code))

    first, second = side(a), side(b)
    gap = first.row.spend - second.row.spend
    contrast = variability.Explainer(session, month, (a, b)).contrast(
        a, b, {a: first.row.spend, b: second.row.spend})
    sentences = explain(first, second)
    if contrast is not None:
        sentences += contrast.sentences
    return Comparison(period=month.period, a=first, b=second, difference=gap,
                      sentences=sentences, variability=contrast)


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
