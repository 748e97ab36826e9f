"""A unit's page of a closed month as download tables (``units.export``).

The same figures the page shows, from the same read-model queries: the month's rating in
the pack's unit-sheet columns (one row per criterion, then the unit's own row), spend
against budget by cost pool over the closed months up to it, and what the unit charged by
service and by consumer. Report modules are imported here, when a download is made.
"""

from __future__ import annotations

from collections.abc import Sequence


def sections(code: str, period: str, card, pools: Sequence[str], months: Sequence,
             by_service: Sequence, by_consumer: Sequence) -> list:
    from reports.export import Section
    from reports.sheets import unit as unit_sheet

    found = []
    if card is not None:
        rows = [unit_sheet.values(row) for row in card.criteria]
        rows.append(unit_sheet.last_row(card))
        found.append(Section(f"Rating {period}", unit_sheet.COLUMNS, rows))
    found += [Section("Spend", _spend_columns(pools), [_spend_row(m, pools) for m in months]),
              Section("By service", _money_columns("Service", "Name", "Unit or method",
                                                   quantity=True),
                      [(s.code, s.name, s.detail, s.quantity, s.lines, s.amount)
                       for s in by_service]),
              Section("By consumer", _money_columns("Consumer", "Name", "GL account"),
                      [(c.code, c.name, c.detail, c.lines, c.amount) for c in by_consumer])]
    return found


def _spend_columns(pools: Sequence[str]) -> list:
    from reports import styles
    from reports.sheets._table import Column

    money = [Column(pool, "money", styles.WIDTH_MONEY) for pool in pools]
    return [Column("Period", "text", styles.WIDTH_SHORT), *money,
            *(Column(header, "money", styles.WIDTH_MONEY) for header in (
                "Internal received", "Spend", "Budget", "Over (-under) budget", "Charged"))]


def _spend_row(month, pools: Sequence[str]) -> tuple:
    return (month.period, *(month.pools.get(pool) for pool in pools), month.internal,
            month.spend, month.budget, month.variance, month.charged)


def _money_columns(code: str, name: str, detail: str, *, quantity: bool = False) -> list:
    from reports import styles
    from reports.sheets._table import Column

    return [Column(code, "text", styles.WIDTH_CODE), Column(name, "text", styles.WIDTH_NAME),
            Column(detail, "text", styles.WIDTH_SHORT),
            *([Column("Quantity", "quantity", styles.WIDTH_NUMBER)] if quantity else []),
            Column("Lines", "integer", styles.WIDTH_SMALL),
            Column("Amount", "money", styles.WIDTH_MONEY)]
