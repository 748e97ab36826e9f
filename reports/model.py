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
    # Budget on the basis of Spend (internal charges eliminated alike); positive = over.
    variance: Decimal | None = None
    variance_pct: Decimal | None = None  # of budget
    showback: Decimal = Decimal("0.00")  # the part of ``charged`` that is showback
    without_budget: tuple[str, ...] = ()  # units of the subtree with no budget
    # From earlier closes, as they stood when this month closed (None: not available).
    ytd_spend: Decimal | None = None  # fiscal year to date, this month included
    ytd_budget: Decimal | None = None
    ytd_variance: Decimal | None = None
    prior_spend: Decimal | None = None  # the previous month's close
    prior_attainment: Decimal | None = None
    # A venture's funding envelope for the fiscal year: then ``variance`` and
    # ``variance_pct`` are the envelope's (rules/envelope.py), not the month's.
    envelope: Decimal | None = None


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
class TrendRow:
    """A unit's figures in one of the last 13 closed months (``Trend``)."""

    period: str
    unit: str
    name: str
    spend: Decimal
    budget: Decimal | None
    variance: Decimal | None
    variance_pct: Decimal | None
    charged: Decimal
    attainment: Decimal | None
    band: str


@dataclass(frozen=True, kw_only=True)
class SummaryRow:
    """A line of the ``Summary``: a headline figure, or something that changed.

    ``kind`` says how ``value``, ``before`` and ``change`` read: ``money``, ``percent``
    (one decimal), ``count`` or ``text``.
    """

    section: str  # "Headline", "What changed", "Revision"
    unit: str | None
    name: str | None
    figure: str
    kind: str
    value: Decimal | int | str | None
    before: Decimal | int | str | None = None
    change: Decimal | int | None = None
    detail: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnitInOwnTerms:
    """A unit as ``Why they differ`` tells it: in the terms of its own service model and
    scorecard, beside its sibling units under the same group."""

    group: str
    group_name: str
    unit: str
    name: str
    service_model: str
    weighs_most: str | None  # the criterion (or criteria) of largest weight
    spend: Decimal
    budget: Decimal | None
    variance: Decimal | None
    attainment: Decimal | None
    band: str
    meets_from: Decimal  # the band limits the month was rated with
    exceeds_from: Decimal
    main_service: str | None  # the service that recovered the most, with its unit
    main_service_uom: str | None
    main_service_quantity: Decimal | None
    cost_per_unit: Decimal | None  # the unit's spend per unit of its main service
    explanation: str


@dataclass(frozen=True, kw_only=True)
class JudgedByEachOther:
    """Two sibling units of different service models, each judged by the other's scorecard
    (a what-if, never a rating): one line of ``Why they differ`` under their group."""

    group: str
    units: tuple[str, str]
    models: tuple[str, str]
    sentence: str


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
    summary: tuple[SummaryRow, ...] = ()
    differences: tuple[UnitInOwnTerms, ...] = ()
    judged_by_each_other: tuple[JudgedByEachOther, ...] = ()
    trend: tuple[TrendRow, ...] = ()
    statements: tuple[StatementRow, ...] = ()  # one per consumer of the month, by code


@dataclass(frozen=True, kw_only=True)
class StatementLine:
    """One charge line of a consumer's statement, with its provider and service as they
    stood (here, not in ``reports.statement``, so reading the lines needs no openpyxl)."""

    unit: str
    unit_name: str
    service: str | None  # None: a driver or fixed split
    service_name: str | None
    method: str
    basis: str
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal
    billing_mode: str  # chargeback (posted to the journal) or showback
