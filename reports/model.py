"""What a pack is made of: plain frozen dataclasses the service layer fills from the database.

Money and numbers are ``Decimal``; ``None`` means "no value" (an empty cell), never zero.
Charges are an iterable so a month of a million charge lines streams into the workbook
without being held in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, kw_only=True)
class PortfolioRow:
    """A unit's row; on a group the money and attainment are its subtree's roll-up."""

    unit: str
    name: str
    parent: str | None
    depth: int  # 0 = the holding company
    is_group: bool
    service_model: str
    billing_mode: str
    spend: Decimal  # own spend for a leaf; subtree spend net of eliminations for a group
    budget: Decimal | None
    charged: Decimal
    recovery_pct: Decimal | None
    absorbed: Decimal
    internal_eliminated: Decimal  # internal charges inside the subtree, taken out (groups)
    attainment: Decimal | None  # own for a leaf; roll-up for a group
    band: str
    own_attainment: Decimal | None = None  # a group's rating against its own scorecard
    own_band: str | None = None
    band_counts: Mapping[str, int] = field(default_factory=dict)  # groups: units per band


@dataclass(frozen=True, kw_only=True)
class ChargeRow:
    unit: str
    service: str | None
    consumer: str
    consumer_name: str
    method: str  # usage, driver, fixed
    basis: str
    billing_mode: str
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class JournalRow:
    journal: str
    period: str
    unit: str
    account: str
    consumer: str | None
    description: str
    debit: Decimal
    credit: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class StatementRow:
    """A consumer's bill for the month (the Statements sheet): what it was charged, billed
    (by chargeback units: posted to the journal) and shown back (by showback units), and
    the previous month's total from that month's close."""

    consumer: str
    name: str
    gl_account: str
    billed: Decimal
    showback: Decimal
    prior_total: Decimal | None  # None: the previous month is not closed, or had no such consumer

    @property
    def total(self) -> Decimal:
        return self.billed + self.showback

    @property
    def change(self) -> Decimal | None:
        return None if self.prior_total is None else self.total - self.prior_total


@dataclass(frozen=True, kw_only=True)
class CriterionRow:
    key: str
    label: str
    expr: str
    direction: str
    method: str
    weight: Decimal
    target: Decimal | None
    floor: Decimal | None
    bands: str | None  # "1.00 -> 100; 1.05 -> 70" for the bands method
    actual: Decimal | None
    score: Decimal | None  # None = not rated; the reason is in ``note``
    note: str | None
    explanation: str


@dataclass(frozen=True, kw_only=True)
class UnitScorecard:
    """One rated unit's sheet: its criteria against its own scorecard version."""

    unit: str
    name: str
    service_model: str
    version: int
    effective_from: str
    attainment: Decimal | None
    band: str
    criteria: tuple[CriterionRow, ...]


@dataclass(frozen=True, kw_only=True)
class Pack:
    period: str
    status: str  # "final" or "provisional"
    revision: int  # 1 for the first close; n for the n-th close after reopenings
    generated_at: dt.datetime
    currency: str
    portfolio: tuple[PortfolioRow, ...]
    charges: Iterable[ChargeRow]
    journal: tuple[JournalRow, ...]
    scorecards: tuple[UnitScorecard, ...]
    notes: tuple[str, ...] = ()  # e.g. the conservation check's figures
    seal: str | None = None  # the close's seal (``chargeback verify`` checks it); final only
    statements: tuple[StatementRow, ...] = ()  # one per consumer of the month, by code
