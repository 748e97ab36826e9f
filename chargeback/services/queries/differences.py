"""``Why they differ``: the holding company explaining itself up the chain of command.

For each group, each unit under it is told in its own terms: its service model, what its
scorecard weighs most, how it did against that scorecard, what a unit of its main service
costs, and a sentence on why its spend differs from a sibling's. The sentences come from
the data, in the manner of the compare page (``portfolio.explain``): they never rank two
units on one yardstick; a difference in spend is put down to the units' service models
and told against each unit's own criteria.

The cost per unit is the unit's spend divided by the quantity of its main service (the
usage service that recovered the most) used in the month: what one seat-month, core-hour
or GB-month of it cost the holding company, all the unit's spend included. Two siblings of
the same service model whose main services share a unit of measure are compared on it
(the same model is the same yardstick); siblings of different models never are.

The sentence then says where the two units' services take different stances on
customer-introduced variability (``queries.variability``: like for like, else each one's
main service), with the stances the month's close froze, and what that says of the
difference in cost per unit of service (never in total spend, which may be one of size):
accommodating variability costs more to serve than reducing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from chargeback.services.queries import charges, variability, yardsticks
from chargeback.services.queries.closed_month import ClosedMonth
from chargeback.services.queries.portfolio import Side
from reports import model as pm
from rules.money import ZERO, one_decimal
from rules.variability import unit_cost


def rows(session: Session, month: ClosedMonth, portfolio: Sequence[pm.PortfolioRow],
         cards: Mapping[str, pm.UnitScorecard]) -> tuple[pm.UnitInOwnTerms, ...]:
    """One row per unit that has a parent, grouped under its parent in tree order;
    ``cards``: the month's ratings by unit code (``ratings.scorecards``)."""
    by_code = {r.unit: r for r in portfolio}
    usage = charges.usage_services(session, month.period)
    mains = {unit_id: charges.main_of(by_code) for unit_id, by_code in usage.items()}
    sides = {r.unit: Side(row=r, model_name=month.tree[r.unit].model_name,
                          scorecard=cards.get(r.unit)) for r in portfolio}
    children: dict[str, list[str]] = {}
    for r in portfolio:
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r.unit)
    found = []
    main_of = {code: mains.get(node.unit_id) for code, node in month.tree.items()}
    explainer = variability.Explainer(session, month, usage=usage)
    for group in (r.unit for r in portfolio if r.unit in children):
        siblings = children[group]
        for code in siblings:
            found.append(_row(month, by_code[group], sides[code], main_of[code],
                              _explanation(sides, code, siblings, main_of, explainer)))
    return tuple(found)


def judged_by_each_other(session: Session, month: ClosedMonth,
                         portfolio: Sequence[pm.PortfolioRow]) -> tuple[pm.JudgedByEachOther, ...]:
    """For each pair of sibling units of different service models, in tree order, each
    judged by the other's scorecard of the month (``yardsticks``): the argument against one
    yardstick, from the month's own figures."""
    children: dict[str, list[str]] = {}
    for r in portfolio:
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r.unit)
    found = []
    book = None
    for group in (r.unit for r in portfolio if r.unit in children):
        siblings = children[group]
        for i, a in enumerate(siblings):
            for b in siblings[i + 1:]:
                models = (month.tree[a].model, month.tree[b].model)
                if models[0] == models[1]:
                    continue
                book = book or yardsticks.Book(session, month)
                first, second = yardsticks.each_by_other(book, a, b)
                found.append(pm.JudgedByEachOther(
                    group=group, units=(a, b), models=models,
                    sentence=yardsticks.pair_sentence(first, second)))
    return tuple(found)


def _row(month: ClosedMonth, group: pm.PortfolioRow, side: Side,
         main: charges.MainService | None, explanation: str) -> pm.UnitInOwnTerms:
    r = side.row
    attainment, band = _own(side)
    return pm.UnitInOwnTerms(
        group=group.unit, group_name=group.name, unit=r.unit, name=r.name,
        service_model=r.service_model, weighs_most=weighs_most(side.scorecard),
        spend=r.spend, budget=r.budget, variance=r.variance, attainment=attainment,
        band=band, meets_from=month.limits.meets, exceeds_from=month.limits.exceeds,
        main_service=main.code if main else None, main_service_uom=main.uom if main else None,
        main_service_quantity=main.quantity if main else None,
        cost_per_unit=cost_per_unit(r.spend, main), explanation=explanation)


def _own(side: Side) -> tuple[Decimal | None, str]:
    """A leaf's own rating; a group's roll-up when it has no scorecard of its own."""
    if side.scorecard is not None:
        return side.scorecard.attainment, side.scorecard.band
    return side.row.attainment, side.row.band


def weighs_most(card: pm.UnitScorecard | None) -> str | None:
    """The label of the criterion of largest weight (all of them when they tie)."""
    if card is None or not card.criteria:
        return None
    top = max(c.weight for c in card.criteria)
    return " and ".join(c.label for c in card.criteria if c.weight == top)


def cost_per_unit(spend: Decimal, main: charges.MainService | None) -> Decimal | None:
    """Spend per unit of the main service, to 4 decimals (a core-hour may cost less than a
    cent); None without usage of it."""
    return unit_cost(spend, main.quantity if main is not None else None)


def _explanation(sides: Mapping[str, Side], code: str, siblings: Sequence[str],
                 mains: Mapping[str, charges.MainService | None],
                 explainer: variability.Explainer) -> str:
    """Why this unit's spend differs from its nearest sibling's, in their own terms, and
    where their services take different stances on customer-introduced variability."""
    others = [c for c in siblings if c != code]
    if not others:
        return _compared(sides, code, None, mains)
    other_code = min(others, key=lambda c: (abs(sides[c].row.spend - sides[code].row.spend),
                                            c))
    contrast = explainer.contrast(code, other_code, {c: sides[c].row.spend
                                                     for c in (code, other_code)})
    if contrast is None:
        return _compared(sides, code, other_code, mains)
    return " ".join((_compared(sides, code, other_code, mains), *contrast.sentences))


def _compared(sides: Mapping[str, Side], code: str, other_code: str | None,
              mains: Mapping[str, charges.MainService | None]) -> str:
    """Two units of different service models are told apart by their models and each
    one's own criteria, never ranked. Two of the same model may be compared on what a unit
    of their main service costs, when both measure it in the same unit."""
    side, main = sides[code], mains.get(code)
    if other_code is None:
        text = (f"{side.label} is the only unit under {side.row.parent}: it runs "
                f"{side.model_words} and {_judged(side)}.")
        return text + _cost_sentence(main)
    other, other_main = sides[other_code], mains.get(other_code)
    gap = side.row.spend - other.row.spend
    amount = "as much as" if gap == 0 else (
        f"{abs(gap):,.2f} {'more' if gap > 0 else 'less'} than")
    if side.row.service_model != other.row.service_model:
        text = (f"{side.row.unit} spends {amount} {other.label}: it runs "
                f"{side.model_words} where {other.row.unit} runs {other.model_words}. "
                f"{side.row.unit} {_judged(side)}; {other.row.unit} {_judged(other)}. Each "
                "is scored on its own criteria, so neither ranks above the other.")
        return text + _cost_sentence(main)
    text = (f"{side.row.unit} spends {amount} {other.label}; both run {side.model_words}, "
            f"so the difference is not one of service model. {side.row.unit} "
            f"{_judged(side)}; {other.row.unit} {_judged(other)}.")
    if main and other_main and main.uom == other_main.uom:
        mine, theirs = cost_per_unit(side.row.spend, main), cost_per_unit(
            other.row.spend, other_main)
        if mine is not None and theirs is not None:
            return text + (f" Under the same model the cost of a {main.uom} compares: "
                           f"{_amount(mine)} at {side.row.unit} ({main.code}), "
                           f"{_amount(theirs)} at {other.row.unit} ({other_main.code}).")
    return text + _cost_sentence(main)


def _judged(side: Side) -> str:
    """How a unit did against its own scorecard, and what that scorecard weighs most."""
    card = side.scorecard
    most = weighs_most(card)
    if card is not None and card.attainment is not None:
        return (f"weighs {most} most and scores {one_decimal(card.attainment)} "
                f"({card.band}) against its own scorecard")
    if card is not None:
        return "could not be rated on any criterion of its own scorecard"
    if side.row.is_group and side.row.attainment is not None:
        return (f"has no scorecard of its own; its units, each against their own, roll up "
                f"to {one_decimal(side.row.attainment)} ({side.row.band})")
    return "has no scorecard in force and is not rated"


def _cost_sentence(main: charges.MainService | None) -> str:
    if main is None or main.quantity <= ZERO:
        return ""
    return (f" Its main service, {main.name} ({main.code}), used "
            f"{_quantity(main.quantity)} {main.uom} in the month.")


def _amount(value: Decimal) -> str:
    """1,234.5 rather than 1,234.500000; at least the cents."""
    text = f"{value:,.6f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _quantity(value: Decimal) -> str:
    """4,371,298.3 or 614: as many decimals as it has."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text or "0"
