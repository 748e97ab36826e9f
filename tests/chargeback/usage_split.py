"""The test company's March usage imported as many lines instead of one per consumer and
service, with the same sums, so every figure of the close stays the same (usage is rated
in aggregate) while a usage charge line now adds up several usage lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.chargeback.helpers import write_csv
from tests.chargeback.test_close_end_to_end import run

MONTH = "2026-03"
# (consumer, service) -> the quantities of its lines; each sums to the company's own line
SPLIT: dict[tuple[str, str], list[str]] = {
    ("C-ALT", "CPU"): ["80"] * 125,  # 10000: three pages of the web list (50 a page)
    ("LAB1", "CPU"): ["1111.111"] * 3,  # 3333.333
    ("LAB1", "PROTO"): ["2.5"] * 4,  # 10
}
LINES = sum(len(q) for q in SPLIT.values())


def total(consumer: str, service: str) -> Decimal:
    return sum((Decimal(q) for q in SPLIT[(consumer, service)]), Decimal(0))


def split_march_usage(runner, folder: Path) -> None:
    """Reopen the closed March, replace its usage by the split lines, and close it again."""
    rows = [f"{MONTH},{consumer},{service},{quantity}"
            for (consumer, service), quantities in SPLIT.items() for quantity in quantities]
    path = write_csv(folder, "split-usage.csv",
                     "period,consumer_code,service_code,quantity\n" + "\n".join(rows) + "\n")
    run(runner, "reopen", MONTH, "--reason", "usage in many lines")
    run(runner, "import", "usage", str(path), "--replace")
    run(runner, "close", MONTH)
