"""A holding company of any size, for statement counts and the pages benchmark.

One root, ``groups`` groups under it and the other units under the groups; every unit
spends on two cost pools, has a budget and a scorecard of its own service model; each unit
shares its spend by headcount over ``spread`` consumers (``spread`` = all: every unit
charges every consumer, ``units * consumers`` charge lines a month). The data centre (the
first leaf) sells compute to every other unit's own consumer, so internal charges cascade.
"""

from __future__ import annotations

import json
from pathlib import Path

MODELS = ("operational_excellence", "product_leadership", "customer_intimacy")


def write_company(folder: Path, *, units: int, consumers: int, months: list[str],
                  spread: int | None = None, groups: int = 10) -> Path:
    """Write the company's import files, rules and scorecards into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    codes = ["HQ"] + [f"G{g:02d}" for g in range(groups)] + [
        f"U{n:03d}" for n in range(units - groups - 1)]
    parents = {"HQ": ""} | {f"G{g:02d}": "HQ" for g in range(groups)} | {
        f"U{n:03d}": f"G{n % groups:02d}" for n in range(units - groups - 1)}
    leaves = [c for c in codes if c.startswith("U")]
    dc = leaves[0]
    _write(folder / "units.csv", "code,name,parent_code,service_model,billing_mode,"
           "recovery_account", [f"{c},Unit {c},{parents[c]},{MODELS[i % 3]},chargeback,49-{c}"
                                for i, c in enumerate(codes)])
    business = [f"C{n:04d}" for n in range(consumers)]
    _write(folder / "consumers.csv", "code,name,gl_account,unit_code",
           [f"{c},Cost center {c},61-{c}," for c in business]
           + [f"K{c},{c} as a consumer,69-{c},{c}" for c in leaves[1:]])
    _write(folder / "services.csv", "code,unit_code,name,uom", [f"CPU,{dc},Compute,core-hour"])
    _write(folder / "rates.csv", "service_code,effective_from,price",
           [f"CPU,{months[0]},0.05"])
    _write(folder / "spend.csv", "period,unit_code,cost_pool,amount",
           [f"{m},{c},{pool},{1000 + 37 * i + 11 * j}.{(i + j) % 100:02d}"
            for m in months for i, c in enumerate(codes) for j, pool in
            enumerate(("labor", "facilities"))])
    _write(folder / "budget.csv", "period,unit_code,amount",
           [f"{m},{c},{2100 + 40 * i}.00" for m in months for i, c in enumerate(codes)])
    _write(folder / "metrics.csv", "period,unit_code,measure,value",
           [f"{m},{c},satisfaction,{3 + (i % 20) / 10}" for m in months
            for i, c in enumerate(codes)])
    _write(folder / "usage.csv", "period,consumer_code,service_code,quantity",
           [f"{m},K{c},CPU,{100 + i}" for m in months for i, c in enumerate(leaves[1:])])
    _write(folder / "drivers.csv", "period,consumer_code,driver,quantity",
           [f"{m},{c},headcount,{1 + n % 7}" for m in months for n, c in enumerate(business)])
    rules = folder / "rules"
    rules.mkdir(exist_ok=True)
    spread = consumers if spread is None else spread
    for i, code in enumerate(codes):
        named = [business[(i * spread + k) % consumers] for k in range(spread)]
        rule = {"pool": "all", "method": "driver", "driver": "headcount"}
        if spread < consumers:
            rule["consumers"] = sorted(set(named))
        (rules / f"{code}.json").write_text(json.dumps(
            {"unit": code, "effective_from": months[0], "rules": [rule]}))
    cards = folder / "scorecards"
    cards.mkdir(exist_ok=True)
    for code in codes:
        (cards / f"{code}.json").write_text(json.dumps({
            "unit": code, "effective_from": months[0], "criteria": [
                {"key": "satisfaction", "label": "Satisfaction", "expr": "satisfaction",
                 "direction": "higher", "method": "linear", "target": "4.5", "floor": "3",
                 "weight": "2"},
                {"key": "on_budget", "label": "Spend within budget", "expr": "spend / budget",
                 "direction": "lower", "method": "bands", "weight": "1",
                 "bands": [{"at": "1.00", "score": "100"}, {"at": "1.10", "score": "50"}]}]}))
    return folder


KINDS = ("units", "consumers", "services", "rates", "spend", "budget", "metrics", "usage",
         "drivers")


def load_company(runner, folder: Path) -> None:
    """Import it through the command line, as a customer would."""
    for kind in KINDS:
        _run(runner, "import", kind, str(folder / f"{kind}.csv"))
    for path in sorted((folder / "scorecards").glob("*.json")):
        _run(runner, "scorecard", "import", str(path))
    for path in sorted((folder / "rules").glob("*.json")):
        _run(runner, "rules", "import", str(path))


def _run(runner, *args) -> None:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output, result.stderr)


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
