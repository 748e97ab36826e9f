"""The values the rules work on: frozen, keyword-only dataclasses and nothing else.

Frozen, so a result handed to the report writer cannot be changed under it; keyword-only,
so no record is ever built positionally (a swapped target and floor would type-check).
The service layer turns database rows into these and the results back into rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleError:
    """A problem found by a rule, as a value: where (source), which field, and what.

    ``source`` is what a person would look for: "criterion csat", "unit WW rule 1",
    "line 4". Errors are collected, not raised, so one answer can list every problem.
    ``key``, ``position`` and ``band`` say the same of a criterion as data, so a form or an
    API answer can put the error next to its field without reading ``source``.
    """

    source: str
    field: str
    message: str
    key: str | None = None  # the criterion at fault, by key, when a criterion is
    position: int | None = None  # its place in the scorecard (1-based), when known
    band: int | None = None  # the band of that criterion (1-based), when a band is

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.message}"


# --- scoring -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Band:
    """One step of a ``bands`` criterion: reaching ``at`` earns ``score``."""

    at: Decimal
    score: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class Criterion:
    """One line of a scorecard: an expression over measures and how to score its value."""

    key: str
    label: str
    expr: str
    direction: str  # "higher" | "lower"
    method: str  # "linear" | "binary" | "bands"
    target: Decimal | None = None
    floor: Decimal | None = None
    bands: tuple[Band, ...] = ()
    weight: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class Scorecard:
    """A unit's definition of success, effective from a period ("YYYY-MM")."""

    unit: str
    effective_from: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class CriterionResult:
    """A criterion with its outcome, carrying its definition so a pack needs nothing else.

    ``score`` is None when the criterion is not rated; ``note`` then says why, in the
    spec's words ("missing measure seats", "division by zero"). ``explanation`` is one
    sentence a unit head can check by hand.
    """

    key: str
    label: str
    expr: str
    direction: str
    method: str
    weight: Decimal
    target: Decimal | None
    floor: Decimal | None
    bands: tuple[Band, ...]
    actual: Decimal | None
    score: Decimal | None
    note: str | None
    explanation: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Rating:
    """A unit's attainment in a period (None when no criterion is rated) and its band."""

    unit: str
    attainment: Decimal | None
    band: str
    results: tuple[CriterionResult, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class BandThresholds:
    """The holding-wide band limits, compared with the unrounded attainment."""

    exceeds: Decimal = Decimal(90)
    meets: Decimal = Decimal(70)
    watch: Decimal = Decimal(50)


# --- allocation ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Consumer:
    """A cost center that receives charges; ``unit`` is set when it is itself a unit."""

    code: str
    gl_account: str
    unit: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Service:
    """What a unit offers, priced per unit of measure (``uom``)."""

    code: str
    unit: str
    uom: str


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageLine:
    """A quantity of a service used by a consumer in the period being allocated."""

    consumer: str
    service: str
    quantity: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class AllocationRule:
    """How a unit shares an amount ("<pool>", "all" or "unrecovered") over consumers.

    ``driver``: in proportion to a driver; ``consumers`` optionally restricts it to those
    consumer codes. ``fixed``: by ``splits``, (consumer code, percent) pairs summing to 100.
    """

    pool: str
    method: str  # "driver" | "fixed"
    driver: str | None = None
    splits: tuple[tuple[str, Decimal], ...] = ()
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class UnitLedger:
    """What allocation needs to know about one unit for one period.

    ``spend_by_pool`` holds external spend lines only; internal charges received are
    computed by the cascade and added as pool ``internal``.
    """

    code: str
    billing_mode: str  # "chargeback" | "showback"
    recovery_account: str | None
    spend_by_pool: Mapping[str, Decimal]
    rules: tuple[AllocationRule, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Charge:
    """One charge line: ``unit`` (the provider) charges ``consumer`` an ``amount``.

    ``basis`` says how, in words ("service CPU per core-hour", "pool facilities by
    headcount"). ``quantity`` is the usage or driver quantity; ``rate`` the price (usage).
    A rule's line also names its ``pool`` and its ``driver`` (driver rules) or ``percent``
    (fixed rules) as data, so no reader parses ``basis``.
    """

    unit: str
    consumer: str
    service: str | None
    method: str  # "usage" | "driver" | "fixed"
    basis: str
    quantity: Decimal | None
    rate: Decimal | None
    amount: Decimal
    pool: str | None = None
    driver: str | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UnitTotals:
    """A unit's money for the period: ``absorbed = spend - charged`` (its under-recovery).

    ``spend`` includes ``internal_received``; ``charged`` includes internal charges made
    and showback; ``recovery_pct`` is None when spend is 0.
    """

    unit: str
    spend: Decimal
    internal_received: Decimal
    charged: Decimal
    absorbed: Decimal
    recovery_pct: Decimal | None


@dataclass(frozen=True, kw_only=True, slots=True)
class AllocationResult:
    """Everything one period's allocation produced.

    ``internal`` holds (from_unit, to_unit, amount) per pair of units, which roll-ups
    eliminate; ``order`` is the dependency order the units were allocated in.
    """

    period: str
    charges: tuple[Charge, ...]
    totals: Mapping[str, UnitTotals]
    internal: tuple[tuple[str, str, Decimal], ...]
    order: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalLine:
    """One GL journal line; debit and credit in their own columns, one of them zero."""

    journal: str
    period: str
    unit: str
    account: str
    consumer: str | None
    description: str
    debit: Decimal
    credit: Decimal
    currency: str


# --- roll-ups ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class RollupNode:
    """One unit of the tree as the roll-up needs it: its own figures and its own rating.

    ``spend`` includes internal charges received; ``attainment`` is against the unit's own
    scorecard (None when unrated) and ``band`` its band ("unrated" when none). A
    ``showback`` unit's charges are computed and reported but not billed: its ``charged``
    counts in the roll-up's Showback as well as in Charged.
    """

    code: str
    parent: str | None
    spend: Decimal
    budget: Decimal | None
    charged: Decimal
    attainment: Decimal | None
    band: str
    showback: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class RollupRow:
    """A unit with its whole subtree rolled up, internal charges inside it eliminated.

    ``eliminated`` is what was taken out of spend, budget and charged (charges between two
    units of the subtree); ``attainment`` is the spend-weighted group attainment and
    ``band`` its band; ``band_counts`` counts the subtree's units by their own band.
    ``budget`` is on the same basis as ``spend`` (None when a unit of the subtree has no
    budget, listed in ``without_budget``), so ``variance`` (spend - budget) of a group is
    the sum of its units' variances. ``showback`` is the part of ``charged`` that showback
    units computed (not billed), eliminated like the rest.
    """

    code: str
    parent: str | None
    depth: int
    spend: Decimal
    budget: Decimal | None
    charged: Decimal
    eliminated: Decimal
    showback: Decimal
    without_budget: tuple[str, ...]
    recovery_pct: Decimal | None
    attainment: Decimal | None
    band: str
    band_counts: Mapping[str, int]

    @property
    def variance(self) -> Decimal | None:
        """Spend - budget: positive is over budget; None without a budget."""
        return None if self.budget is None else self.spend - self.budget
