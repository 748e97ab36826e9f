"""The close benchmark's peer: the same month charged by a short pandas script.

    python benchmarks/peer_pandas.py WORKDIR   # the files benchmarks/close.py generated

What a finance analyst would write instead of the product, on the same import files:
usage summed per consumer and service and rated once (``round_half_up(sum * rate, 2)``),
each unit's driver and fixed rules split to the cent by largest remainder (ties to the
lower consumer code), units taken in dependency order so that what a unit is charged by
another becomes its spend (pool ``internal``) before its own rules run, and the total
charged to each consumer. No validation, no storage, no ratings, no journal: the least
work that gives the same figures, so the product's close can be measured against it.
Amounts are integer cents and quantities integer millionths, so the totals are exact and
``benchmarks/close.py`` compares them with the product's to the cent.
"""

from __future__ import annotations

import heapq
import json
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

MICRO = 1_000_000


def _micros(values: pd.Series) -> np.ndarray:
    """Numbers with at most six decimals as exact integer millionths (a double holds
    such a number exactly enough to round back, up to about 9e9)."""
    return np.rint(values.to_numpy(dtype="float64") * MICRO).astype("int64")


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    whole = (abs(numerator) * 2 + denominator) // (2 * denominator)
    return whole if numerator >= 0 else -whole


def split_cents(amount: int, weights: dict[str, int]) -> dict[str, int]:
    """Largest remainder: floors of amount * w / W, the leftover cents to the largest
    remainders, ties to the lower code; a negative amount split on its absolute value."""
    codes = sorted(weights)
    w = np.array([weights[c] for c in codes], dtype=object)
    total = int(w.sum())
    scaled = w * abs(amount)
    floors, remainders = scaled // total, scaled % total
    leftover = abs(amount) - int(floors.sum())
    order = sorted(range(len(codes)), key=lambda i: (-remainders[i], codes[i]))
    for i in order[:leftover]:
        floors[i] += 1
    sign = -1 if amount < 0 else 1
    return {code: sign * int(share) for code, share in zip(codes, floors, strict=True)}


def load(folder: Path, period: str) -> dict:
    """The month's files as frames; usage summed per consumer and service while read."""
    usage = pd.read_csv(folder / "usage.csv", usecols=["period", "consumer_code",
                                                        "service_code", "quantity"],
                        dtype={"period": "category", "consumer_code": "category",
                               "service_code": "category", "quantity": "float64"},
                        engine="c")
    usage = usage[usage["period"] == period]
    usage = usage.assign(micros=_micros(usage["quantity"]))
    used = (usage.groupby(["consumer_code", "service_code"], observed=True)["micros"]
            .sum().reset_index())
    spend = pd.read_csv(folder / "spend.csv", dtype={"amount": "float64"})
    spend = spend[spend["period"] == period]
    spend = spend.assign(cents=np.rint(spend["amount"].to_numpy() * 100).astype("int64"))
    drivers = pd.read_csv(folder / "drivers.csv")
    drivers = drivers[drivers["period"] == period]
    rates = pd.read_csv(folder / "rates.csv", dtype=str)
    rates = rates[rates["effective_from"] <= period].sort_values("effective_from")
    return {
        "used": used,
        "spend": spend.groupby(["unit_code", "cost_pool"])["cents"].sum(),
        "drivers": drivers.assign(micros=_micros(drivers["quantity"])),
        "prices": rates.groupby("service_code")["price"].last(),
        "services": pd.read_csv(folder / "services.csv", dtype=str),
        "consumers": pd.read_csv(folder / "consumers.csv", dtype=str, keep_default_na=False),
        "units": pd.read_csv(folder / "units.csv", dtype=str, keep_default_na=False),
        "rules": json.loads((folder / "rules.json").read_text()),
    }


def rated_charges(data: dict) -> pd.DataFrame:
    """One charge per consumer and service: the summed quantity at the price, rounded once."""
    owner = data["services"].set_index("code")["unit_code"]
    price = {code: int(Decimal(p) * MICRO) for code, p in data["prices"].items()}
    used = data["used"]
    amounts = [_half_up(int(q) * price[s], MICRO * MICRO // 100)
               for s, q in zip(used["service_code"], used["micros"], strict=True)]
    return pd.DataFrame({"unit": owner.loc[used["service_code"]].to_numpy(),
                         "consumer": used["consumer_code"].astype(str).to_numpy(),
                         "cents": amounts})


def dependency_order(units: list[str], edges: dict[str, set[str]]) -> list[str]:
    """Providers before the units they charge, the lowest code first among the free."""
    incoming = dict.fromkeys(units, 0)
    for receivers in edges.values():
        for receiver in receivers:
            incoming[receiver] += 1
    ready = [u for u, n in incoming.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        unit = heapq.heappop(ready)
        order.append(unit)
        for receiver in edges.get(unit, ()):
            incoming[receiver] -= 1
            if incoming[receiver] == 0:
                heapq.heappush(ready, receiver)
    return order


def consumer_totals(folder: Path, period: str) -> dict[str, int]:
    """Every consumer's total charge for ``period``, in cents."""
    data = load(folder, period)
    unit_of = dict(zip(data["consumers"]["code"], data["consumers"]["unit_code"], strict=True))
    rated = rated_charges(data)
    rules = {r["unit"]: r["rules"] for r in data["rules"]}
    by_driver = {d: dict(zip(g["consumer_code"], g["micros"], strict=True))
                 for d, g in data["drivers"].groupby("driver")}
    weights = {}
    for unit, unit_rules in rules.items():
        for n, rule in enumerate(unit_rules):
            if rule["method"] == "fixed":
                weights[(unit, n)] = {s["consumer"]: int(Decimal(s["percent"]) * MICRO)
                                      for s in rule["splits"]}
            else:
                quantities = by_driver[rule["driver"]]
                listed = rule.get("consumers") or [c for c in quantities
                                                   if unit_of.get(c) != unit]
                weights[(unit, n)] = {c: int(quantities[c]) for c in listed}
    edges: dict[str, set[str]] = defaultdict(set)
    for unit, consumer in zip(rated["unit"], rated["consumer"], strict=True):
        if unit_of.get(consumer):
            edges[unit].add(unit_of[consumer])
    for (unit, _), found in weights.items():
        edges[unit].update(unit_of[c] for c in found if unit_of.get(c))
    rated_by_unit = rated.groupby("unit")["cents"].sum()
    rated_to = rated.groupby("consumer")["cents"].sum()
    totals: dict[str, int] = defaultdict(int, {c: int(v) for c, v in rated_to.items()})
    received: dict[str, int] = defaultdict(int)
    for consumer, cents in zip(rated["consumer"], rated["cents"], strict=True):
        if unit_of.get(consumer):
            received[unit_of[consumer]] += int(cents)
    spend = data["spend"]
    for unit in dependency_order(list(data["units"]["code"]), edges):
        pools = spend.loc[unit] if unit in spend.index.get_level_values(0) else {}
        external = int(sum(pools.values)) if len(pools) else 0
        whole = external + received[unit]
        for n, rule in enumerate(rules.get(unit, ())):
            pool = rule["pool"]
            amount = (whole if pool == "all" else
                      max(whole - int(rated_by_unit.get(unit, 0)), 0) if pool == "unrecovered"
                      else received[unit] if pool == "internal"
                      else int(pools.get(pool, 0)) if len(pools) else 0)
            for consumer, cents in split_cents(amount, weights[(unit, n)]).items():
                totals[consumer] += cents
                if unit_of.get(consumer):
                    received[unit_of[consumer]] += cents
    return {c: v for c, v in totals.items() if v}


def main(argv: list[str]) -> int:
    folder, period = Path(argv[0]), argv[1] if len(argv) > 1 else "2026-01"
    totals = consumer_totals(folder, period)
    print(f"{len(totals)} consumers charged, {sum(totals.values()) / 100:,.2f} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
