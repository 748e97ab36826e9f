"""The ``Portfolio`` sheet: one row per unit, groups included, in the order given (tree
order: the service layer sorts).

On a group the money and the attainment are its subtree's roll-up, ``Own attainment`` and
``Own band`` its rating against its own scorecard (if it has one), and the band-count
columns count the subtree's units by band; those columns are empty on a leaf.
"""

from __future__ import annotations

from collections.abc import Iterable

from reports import styles as s
from reports.model import PortfolioRow
from reports.sheets._table import Column, Table
from rules.vocabulary import BANDS

TITLE = "Portfolio"

COLUMNS = (
    Column("Unit", "text", s.WIDTH_CODE),
    Column("Name", "text", s.WIDTH_NAME),
    Column("Parent", "text", s.WIDTH_CODE),
    Column("Level", "integer", s.WIDTH_SMALL),
    Column("Group", "text", s.WIDTH_SMALL),
    Column("Service model", "text", 24),
    Column("Billing mode", "text", s.WIDTH_SHORT),
    Column("Spend", "money", s.WIDTH_MONEY),
    Column("Budget", "money", s.WIDTH_MONEY),
    Column("Variance", "money", s.WIDTH_MONEY),
    Column("Variance %", "one_decimal", s.WIDTH_SHORT),
    Column("Charged", "money", s.WIDTH_MONEY),
    Column("Showback", "money", s.WIDTH_MONEY),
    Column("Recovery %", "one_decimal", s.WIDTH_SHORT),
    Column("Absorbed", "money", s.WIDTH_MONEY),
    Column("Internal eliminated", "money", 20),
    Column("Attainment", "one_decimal", s.WIDTH_SHORT),
    Column("Band", "text", s.WIDTH_SHORT),
    Column("Own attainment", "one_decimal", 16),
    Column("Own band", "text", s.WIDTH_SHORT),
    Column("YTD spend", "money", s.WIDTH_MONEY),
    Column("YTD budget", "money", s.WIDTH_MONEY),
    Column("YTD variance", "money", s.WIDTH_MONEY),
    Column("Prior spend", "money", s.WIDTH_MONEY),
    Column("Prior attainment", "one_decimal", 16),
    *(Column(band.capitalize(), "integer", s.WIDTH_SMALL) for band in BANDS),
)

GUIDE = (
    "One row per unit, groups included, in tree order (Level 0 is the holding company). "
    "Money in the pack currency; on a group Spend, Budget and Charged are the subtree's "
    "sums with internal charges eliminated from all three (Internal eliminated), so "
    "Variance = Spend - Budget (positive is over budget) of a group is the sum of its "
    "units' monthly Variances; a group with a unit that has no budget has no Budget. A "
    "venture's own Variance is its funding envelope's (the fiscal year's spend at this "
    "month's burn minus the year's budgets; a note gives the figures), while its group "
    "keeps the monthly basis. Showback is "
    "the part of Charged that showback units computed but did not bill. Recovery % = "
    "Charged / Spend as a percentage. Attainment is the unit's score against its own "
    "scorecard; on a group it is the spend-weighted roll-up of its units, Own attainment "
    "its rating against its own scorecard, and Exceeds..Unrated count its units by band. "
    "YTD columns sum the fiscal year's closed months to this one; Prior columns are the "
    "previous month's close."
)


def values(row: PortfolioRow) -> tuple:
    counts = tuple(row.band_counts.get(band, 0) for band in BANDS) if row.is_group else (
        (None,) * len(BANDS))
    return (
        row.unit, row.name, row.parent, row.depth, "yes" if row.is_group else "no",
        row.service_model, row.billing_mode, row.spend, row.budget, row.variance,
        row.variance_pct, row.charged, row.showback, row.recovery_pct, row.absorbed,
        row.internal_eliminated, row.attainment, row.band, row.own_attainment, row.own_band,
        row.ytd_spend, row.ytd_budget, row.ytd_variance, row.prior_spend,
        row.prior_attainment, *counts,
    )


def write(workbook, rows: Iterable[PortfolioRow], *, provisional: bool) -> list[str]:
    """Write the sheet; returns the sheet titles written."""
    table = Table(workbook, TITLE, COLUMNS, provisional=provisional)
    for row in rows:
        table.append(values(row))
    table.finish()
    return [TITLE]
