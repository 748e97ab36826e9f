"""Starter scorecards for the built-in service models, which a unit head then edits.

Each model values different things, so each template measures different things: an
operational-excellence unit is judged on cost and reliability, a product-leadership unit
on speed and new capability, a customer-intimacy unit on how its customers feel and how
fast it answers them, a venture on milestones, runway and what it learned. Criteria mix
ledger measures (spend, budget, charged, spend_pool_*, a venture's runway_months) with
observed metrics a unit imports; a criterion whose metric has not arrived yet is simply
not rated.
"""

from __future__ import annotations

import functools

from rules.expressions import parse
from rules.model import Band, Criterion, Scorecard
from rules.money import D
from rules.vocabulary import is_ledger_measure

SERVICE_MODELS = ("operational_excellence", "product_leadership", "customer_intimacy", "venture")


def _criterion(key: str, label: str, expr: str, direction: str, weight: str, *,
               target: str | None = None, floor: str | None = None,
               bands: tuple[tuple[str, str], ...] = ()) -> Criterion:
    """A criterion from text figures, so the templates read like the scorecard file."""
    method = "bands" if bands else "linear" if floor is not None else "binary"
    return Criterion(
        key=key, label=label, expr=expr, direction=direction, method=method,
        target=None if target is None else D(target), floor=None if floor is None else D(floor),
        bands=tuple(Band(at=D(at), score=D(score)) for at, score in bands), weight=D(weight),
    )


_ON_BUDGET = _criterion("on_budget", "Spend within budget", "spend / budget", "lower", "1",
                        bands=(("1.00", "100"), ("1.05", "70"), ("1.10", "40")))

_CRITERIA: dict[str, tuple[Criterion, ...]] = {
    "operational_excellence": (
        _criterion("cost_per_seat", "Desktop cost per seat", "desktop_spend / seats", "lower",
                   "3", target="45", floor="65"),
        _criterion("availability", "Service availability (%)", "availability", "higher", "2",
                   target="99.5", floor="98.0"),
        _criterion("first_day_fix", "Incidents fixed the first day (%)", "first_day_fix_pct",
                   "higher", "1", target="80"),
        _criterion("cost_recovery", "Share of spend recovered by charges", "charged / spend",
                   "higher", "1", target="1.00", floor="0.90"),
        _ON_BUDGET,
    ),
    "product_leadership": (
        _criterion("time_to_market", "Idea to production (days)", "lead_time_days", "lower",
                   "3", target="30", floor="120"),
        _criterion("new_capability", "Share of spend on new capability",
                   "spend_pool_innovation / spend", "higher", "2", target="0.30", floor="0.10"),
        _criterion("experiments", "Experiments shipped", "experiments_shipped", "higher", "1",
                   bands=(("2", "40"), ("4", "70"), ("6", "100"))),
        _criterion("adoption", "Users on the latest release (%)", "release_adoption_pct",
                   "higher", "1", target="80", floor="40"),
        _ON_BUDGET,
    ),
    "customer_intimacy": (
        _criterion("csat", "Customer satisfaction (1-5)", "researcher_csat", "higher", "3",
                   target="4.5", floor="3.5"),
        _criterion("turnaround", "Request turnaround (days)", "turnaround_days", "lower", "2",
                   target="2", floor="7"),
        _ON_BUDGET,
        _criterion("first_contact", "Resolved at first contact (%)",
                   "first_contact_resolution_pct", "higher", "1", target="85", floor="60"),
    ),
    # A venture is funded to learn and build, not run to a monthly budget: its budget is an
    # envelope over the fiscal year (rules/envelope.py), so it is judged on how long the
    # money lasts at its burn, not on spend / budget of the month.
    "venture": (
        _criterion("milestones", "Milestones met against plan", "milestones_met / "
                   "milestones_planned", "higher", "3", target="1.00", floor="0.50"),
        _criterion("runway", "Runway (months of envelope left at the current burn)",
                   "runway_months", "higher", "2", target="6", floor="2"),
        _criterion("learning", "Learning goals met against plan", "learning_goals_met / "
                   "learning_goals_planned", "higher", "2", target="1.00", floor="0.40"),
    ),
}


def template_for(
    service_model: str, *, unit: str = "", effective_from: str = ""
) -> Scorecard | None:
    """The starter scorecard of a built-in service model, None for any other model.

    ``unit`` and ``effective_from`` are left empty unless given: the scorecard editor
    fills them in before the unit head saves it.
    """
    criteria = _CRITERIA.get(service_model)
    if criteria is None:
        return None
    return Scorecard(unit=unit, effective_from=effective_from, criteria=criteria)


def _observed(criteria: tuple[Criterion, ...]) -> set[str]:
    """The measure names of the criteria that are not derived from the ledger."""
    names = set()
    for criterion in criteria:
        parsed, _ = parse(criterion.expr)
        names |= {n for n in parsed.order if not is_ledger_measure(n)}
    return names


@functools.cache
def template_measures() -> frozenset[str]:
    """The observed metric names the templates use (what a unit imports to be fully rated).

    Computed on the first call, not at import: it parses the templates' expressions, and the
    first parse imports rule-engine and builds its parser, which an app or a command that
    never asks should not pay for (``rules.expressions``)."""
    return frozenset().union(*map(_observed, _CRITERIA.values()))
