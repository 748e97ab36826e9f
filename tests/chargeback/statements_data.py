"""A second closed month for the consumer statements: the end-to-end company's March
(``helpers.closed_company``) and April, worked by hand below.

April (``data/statements/``): a new consumer LINE3 uses 1,000 core-hours; DC spends
1,200.00 and sells 10,000 core-hours to ALT, 5,000 to LAB1 and 1,000 to LINE3 at 0.06
(600.00, 300.00, 60.00), and shares the 240.00 left by headcount LAB1 1 : LAB2 3 (60.00,
180.00); ALT shares its 91,000.00 + 600.00 by the same headcount (22,900.00, 68,700.00);
LAB (showback) charges LAB1 5 project-hours at 100 (500.00); WW splits 50,000.00 60/40.

| consumer | March billed | March showback | April billed | April showback | April total | change |
|---|---|---|---|---|---|---|
| C-ALT | 600.00 | | 600.00 | | 600.00 | 0.00 |
| LAB1 | 30,466.67 | 1,000.00 | 23,260.00 | 500.00 | 23,760.00 | -7,706.67 |
| LAB2 | 60,533.33 | | 68,880.00 | | 68,880.00 | 8,346.67 |
| LINE1 | 30,000.00 | | 30,000.00 | | 30,000.00 | 0.00 |
| LINE2 | 20,000.00 | | 20,000.00 | | 20,000.00 | 0.00 |
| LINE3 | (new) | | 60.00 | | 60.00 | (no prior) |
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from tests.chargeback.helpers import closed_company
from tests.snapshots import built_once

DATA = Path(__file__).parent / "data" / "statements"

# consumer: (billed, showback, prior total or None)
MARCH = {
    "C-ALT": (D("600.00"), D("0.00"), None),
    "LAB1": (D("30466.67"), D("1000.00"), None),
    "LAB2": (D("60533.33"), D("0.00"), None),
    "LINE1": (D("30000.00"), D("0.00"), None),
    "LINE2": (D("20000.00"), D("0.00"), None),
}
APRIL = {
    "C-ALT": (D("600.00"), D("0.00"), D("600.00")),
    "LAB1": (D("23260.00"), D("500.00"), D("31466.67")),
    "LAB2": (D("68880.00"), D("0.00"), D("60533.33")),
    "LINE1": (D("30000.00"), D("0.00"), D("30000.00")),
    "LINE2": (D("20000.00"), D("0.00"), D("20000.00")),
    "LINE3": (D("60.00"), D("0.00"), None),
}
CHANGE = {"C-ALT": D("0.00"), "LAB1": D("-7706.67"), "LAB2": D("8346.67"),
          "LINE1": D("0.00"), "LINE2": D("0.00"), "LINE3": None}


def april_closed(runner, *, march: bool = True) -> None:
    """March and April closed through the command line, their packs written (built once
    per session and starting state: ``tests.snapshots``). ``march=False``: March is closed
    already (the web tests' ``company`` fixture did it)."""
    from tests.chargeback.test_close_end_to_end import run

    if march:
        closed_company(runner)

    def import_and_close_april():
        for kind in ("consumers", "spend", "usage", "drivers"):
            run(runner, "import", kind, str(DATA / f"{kind}.csv"))
        run(runner, "close", "2026-04")

    built_once("company closed 2026-03 and 2026-04", import_and_close_april)
