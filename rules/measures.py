"""The measures a unit gets from the ledger, so a criterion can say ``spend / budget``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from rules.money import ZERO
from rules.vocabulary import sla_parts

_OUTSIDE_ALPHABET = re.compile(r"[^a-z0-9_]")


def measure_suffix(code: str) -> str:
    """A pool or tower code in the measure-name alphabet: lower-case, other characters ``_``.

    ``Facilities`` -> ``facilities``, ``End-User`` -> ``end_user``, ``Café`` -> ``caf_``.
    Two codes that normalise alike (``DC-1`` and ``dc_1``) share one measure, their sum.
    """
    return _OUTSIDE_ALPHABET.sub("_", code.lower())


def ledger_measures(
    spend_by_pool: Mapping[str, Decimal],
    spend_by_tower: Mapping[str, Decimal],
    budget: Decimal | None,
    charged: Decimal,
    *,
    known_pools: Iterable[str] = (),
    known_towers: Iterable[str] = (),
) -> dict[str, Decimal]:
    """The ledger-derived measures of one unit in one period (scoring.md "Measure").

    - ``spend``: the sum of ``spend_by_pool``, which must include internal charges received
      (pool ``internal``); 0 when the unit has no spend line;
    - ``budget``: absent (not 0) when the unit has no budget row, so ``spend / budget``
      is "missing measure budget" rather than a division by zero;
    - ``charged``: what the unit charged in the period, showback included;
    - ``spend_pool_<pool>`` and ``spend_tower_<tower>`` per code, normalised by
      ``measure_suffix``. Codes in ``known_pools`` / ``known_towers`` (those seen anywhere in
      the ledger) get 0 when this unit has none, so "share of spend on X" is 0, not unrated.
    """
    measures = {"spend": sum(spend_by_pool.values(), ZERO), "charged": charged}
    if budget is not None:
        measures["budget"] = budget
    measures.update(_by_code("spend_pool_", spend_by_pool, known_pools))
    measures.update(_by_code("spend_tower_", spend_by_tower, known_towers))
    return measures


def _by_code(prefix: str, amounts: Mapping[str, Decimal], known: Iterable[str]) -> dict:
    """One measure per normalised code, summing codes that normalise to the same name."""
    measures = {prefix + measure_suffix(code): ZERO for code in known}
    for code, amount in amounts.items():
        name = prefix + measure_suffix(code)
        measures[name] = measures.get(name, ZERO) + amount
    return measures


_UNITS_BY_SUFFIX = (("_pct", "%"), ("_percent", "%"), ("_hours", "hours"), ("_days", "days"),
                    ("_minutes", "minutes"), ("_count", "count"), ("_seats", "seats"),
                    ("seats", "seats"), ("csat", "score"), ("_score", "score"),
                    ("availability", "%"), ("_users", "users"), ("_tickets", "tickets"))


def describe_measure(name: str, currency: str) -> tuple[str, str]:
    """(description, unit of measure) of a measure name, for a person picking one.

    Ledger measures are described exactly (their meaning is fixed by scoring.md); an
    observed measure is what its metrics file called it, and its unit of measure is read
    from the naming convention of its suffix (``_pct`` is %, ``_hours`` hours, ...), or
    "as imported" when the name says none.
    """
    if name == "spend":
        return "Spend of the unit (internal charges received included)", currency
    if name == "budget":
        return "Budget of the unit for the month", currency
    if name == "charged":
        return "What the unit charged its consumers (showback included)", currency
    for prefix, what in (("spend_pool_", "cost pool"), ("spend_tower_", "tower")):
        if name.startswith(prefix):
            return f"Spend on the {what} {name[len(prefix):]}", currency
    unit = next((u for suffix, u in _UNITS_BY_SUFFIX if name.endswith(suffix)), "as imported")
    sla = sla_parts(name)
    if sla is not None:
        service, offering, measure = sla
        whose = f"{service}'s {offering} offering" if offering else f"{service} as a whole"
        return f"Service level {measure.replace('_', ' ')} of {whose} (sla_results import)", unit
    return f"Observed {name.replace('_', ' ')} (metrics import)", unit
