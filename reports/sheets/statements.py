"""The ``Statements`` sheet: one row per consumer, what it was charged in the month.

``Billed`` is what chargeback units charged it (posted to the journal), ``Showback`` what
showback units computed for it (shown, not posted), ``Total`` their sum. ``Prior total``
is the previous month's total from that month's close, empty when the previous month is
not closed or the consumer was not in it; ``Change`` is Total - Prior total, empty when
there is no prior total. Rows come in the order given (by consumer code: the service
layer sorts). The bill of each consumer line by line is its own workbook
(``reports.statement``).
"""

from __future__ import annotations

from collections.abc import Iterable

from reports import styles as s
from reports.model import StatementRow
from reports.sheets._table import Column, Table

TITLE = "Statements"

COLUMNS = (
    Column("Consumer", "text", s.WIDTH_CODE),
    Column("Name", "text", s.WIDTH_NAME),
    Column("GL account", "text", s.WIDTH_CODE),
    Column("Billed", "money", s.WIDTH_MONEY),
    Column("Showback", "money", s.WIDTH_MONEY),
    Column("Total", "money", s.WIDTH_MONEY),
    Column("Prior total", "money", s.WIDTH_MONEY),
    Column("Change", "money", s.WIDTH_MONEY),
)
HEADERS = tuple(column.header for column in COLUMNS)

GUIDE = (
    "One row per consumer (cost center), by code: Billed is what chargeback units charged "
    "it (posted to the journal), Showback what showback units computed for it (not "
    "posted), Total their sum. Prior total is the previous month's total as that month "
    "closed (empty when it is not closed or the consumer was not in it), Change = Total - "
    "Prior total. Each consumer's bill, line by line, is also a workbook of its own "
    "(`chargeback statements YYYY-MM`)."
)


def values(row: StatementRow) -> tuple:
    return (row.consumer, row.name, row.gl_account, row.billed, row.showback, row.total,
            row.prior_total, row.change)


def write(workbook, rows: Iterable[StatementRow], *, provisional: bool) -> list[str]:
    """Write the sheet; returns the sheet titles written."""
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional)
    for row in rows:
        table.append(values(row))
    table.finish()
    return [TITLE]
