"""The ``Charges`` sheets: one row per charge line, streamed.

The charges are consumed once, as they come (never held in a list). A sheet holds at
most ``ROW_LIMIT`` rows, its header and its totals row included (Excel's limit,
1,048,576); the lines that do not fit continue on ``Charges (2)``, ``Charges (3)``, ...
each with the same header in row 1. A sheet is only started for a line that goes on it
(no empty continuation sheet); a month without charges still has a ``Charges`` sheet with
its header. Every sheet ends with a ``Total`` row: ``=SUBTOTAL(109, ...)`` of its Amount
(the Cover's checks add the sheets up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reports import styles as s
from reports.model import ChargeRow
from reports.sheets._table import EXCEL_MAX_ROWS, Column, Table

TITLE = "Charges"
ROW_LIMIT = EXCEL_MAX_ROWS  # rows per sheet, header and totals included; tests make it small
TOTALS = ("Amount",)

COLUMNS = (
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Service", "text", s.WIDTH_CODE),
    Column("Consumer", "text", s.WIDTH_CODE),
    Column("Consumer name", "text", s.WIDTH_NAME),
    Column("Method", "text", s.WIDTH_SMALL),
    Column("Basis", "text", 48),  # "service LAB-PROTO at 95.000000 per project-hour"
    Column("Billing mode", "text", s.WIDTH_SHORT),
    Column("Quantity", "quantity", s.WIDTH_NUMBER),
    Column("Rate", "rate", s.WIDTH_NUMBER),
    Column("Amount", "money", s.WIDTH_MONEY),
)
HEADERS = tuple(column.header for column in COLUMNS)

GUIDE = (
    "One row per charge line: the providing Unit, the Service (empty for a driver or "
    "fixed split), the Consumer code and name, the Method (usage, driver, fixed), its "
    "Basis, Quantity x Rate, and the Amount charged. Billing mode showback lines are "
    "shown to the consumer but not posted to the journal. The last row, Total, adds up "
    "Amount (SUBTOTAL: a filter narrows it to the rows shown)."
)

_CONTINUATION = re.compile(r"charges \(\d+\)")


def title(number: int) -> str:
    """The title of the ``number``-th charges sheet: Charges, Charges (2), ..."""
    return TITLE if number == 1 else f"{TITLE} ({number})"


def is_charges_title(casefolded: str) -> bool:
    """True for ``charges`` and ``charges (n)``: names unit sheets never take."""
    return casefolded == TITLE.casefold() or _CONTINUATION.fullmatch(casefolded) is not None


def values(row: ChargeRow) -> tuple:
    """A charge line's cells in column order (also what the benchmark's baseline writes)."""
    return (row.unit, row.service, row.consumer, row.consumer_name, row.method, row.basis,
            row.billing_mode, row.quantity, row.rate, row.amount)


def write(workbook, charges: Iterable[ChargeRow], *,
          provisional: bool) -> tuple[list[str], int]:
    """Stream ``charges`` into as many sheets as needed; returns (titles, line count)."""
    per_sheet = ROW_LIMIT - 2  # the header and the totals row
    if per_sheet < 1 or ROW_LIMIT > EXCEL_MAX_ROWS:
        raise ValueError(f"ROW_LIMIT must be in 3..{EXCEL_MAX_ROWS}, not {ROW_LIMIT}")
    titles: list[str] = []
    table: Table | None = None
    on_sheet = per_sheet
    count = 0
    for charge in charges:
        if on_sheet == per_sheet:
            if table is not None:
                table.finish()
            titles.append(title(len(titles) + 1))
            table = Table(workbook, titles[-1], COLUMNS, provisional=provisional,
                          totals=TOTALS)
            on_sheet = 0
        table.append(values(charge))  # type: ignore[union-attr]
        on_sheet += 1
        count += 1
    if table is None:
        titles.append(TITLE)
        table = Table(workbook, TITLE, COLUMNS, provisional=provisional, totals=TOTALS)
    table.finish()
    return titles, count
