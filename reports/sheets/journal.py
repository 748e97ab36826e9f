"""The ``Journal`` sheet: one row per journal line, debit and credit in their own columns,
and a last ``Total`` row: ``=SUBTOTAL(109, ...)`` of Debit and of Credit."""

from __future__ import annotations

from collections.abc import Iterable

from reports import styles as s
from reports.model import JournalRow
from reports.sheets._table import Column, Table

TITLE = "Journal"

COLUMNS = (
    Column("Journal", "text", 16),  # CB-2026-09-MFG
    Column("Period", "text", s.WIDTH_SMALL),
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Account", "text", s.WIDTH_CODE),
    Column("Consumer", "text", s.WIDTH_CODE),
    Column("Description", "text", s.WIDTH_LONG),
    Column("Debit", "money", s.WIDTH_MONEY),
    Column("Credit", "money", s.WIDTH_MONEY),
    Column("Currency", "text", s.WIDTH_SMALL),
)

GUIDE = (
    "One row per journal line for finance to post: Debit and Credit in their own "
    "columns (money, two decimals), Unit, Account and Consumer as codes. The last row, "
    "Total, adds up Debit and Credit (SUBTOTAL: a filter narrows it to the rows shown)."
)
TOTALS = ("Debit", "Credit")


def values(row: JournalRow) -> tuple:
    return (row.journal, row.period, row.unit, row.account, row.consumer, row.description,
            row.debit, row.credit, row.currency)


def write(workbook, rows: Iterable[JournalRow], *, provisional: bool) -> list[str]:
    """Write the sheet; returns the sheet titles written."""
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional, totals=TOTALS)
    for row in rows:
        table.append(values(row))
    table.finish()
    return [TITLE]
