"""A venture's budget, read as a funding envelope over the fiscal year, not a monthly target.

Central IT funds a venture (the innovation lab) with a sum for the year and asks how long
the money lasts, not whether each month kept to one twelfth of it: a venture that spends
little while it explores and a lot when it builds is doing its job. So for a venture the
monthly budget rows of a fiscal year are added up into its *envelope*, and the month is
judged by three figures (pure arithmetic, Decimal, no rounding until shown):

- ``spent``: its spend from the fiscal year's first month to this one, this one included;
- ``runway_months``: months of envelope left at the current burn,
  ``(envelope - spent) / burn`` where the burn is this month's spend (0 when the envelope
  is used up; None when nothing was spent this month: no burn, no runway to speak of);
- ``variance``: the envelope's variance, ``spent + burn * months_left - envelope``, what
  the year would end over (positive) or under (negative) the envelope if the venture kept
  burning at this month's rate for the fiscal year's remaining months.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rules.money import CONTEXT, ZERO
from rules.vocabulary import month_after


@dataclass(frozen=True, kw_only=True, slots=True)
class Envelope:
    """A venture's envelope as it stood at the end of one month."""

    total: Decimal  # the fiscal year's budgets summed
    spent: Decimal  # spend of the fiscal year up to and including this month
    burn: Decimal  # this month's spend
    months_left: int  # months of the fiscal year after this one

    @property
    def remaining(self) -> Decimal:
        return self.total - self.spent

    @property
    def runway_months(self) -> Decimal | None:
        """Months of envelope left at this month's burn (None without a burn)."""
        return runway(self.total, self.spent, self.burn)

    @property
    def projected(self) -> Decimal:
        """The fiscal year's spend if this month's burn went on to its end."""
        return self.spent + self.burn * self.months_left

    @property
    def variance(self) -> Decimal:
        """Projected spend minus the envelope: positive, the money runs out before the year
        ends at this burn; negative, some of the envelope would be left."""
        return self.projected - self.total

    def measures(self) -> dict[str, Decimal]:
        """``envelope``, ``envelope_spent`` and (with a burn) ``runway_months``."""
        return envelope_measures(self.total, self.spent, self.burn)


def runway(total: Decimal, spent: Decimal, burn: Decimal) -> Decimal | None:
    """``(total - spent) / burn`` months, 0 once the envelope is used up, None without a
    burn (a month with no spend says nothing about how long the money lasts)."""
    if burn <= ZERO:
        return None
    return CONTEXT.divide(max(total - spent, ZERO), burn)


def envelope_measures(total: Decimal, spent: Decimal, burn: Decimal) -> dict[str, Decimal]:
    """The measures a venture's scorecard may name: ``envelope``, ``envelope_spent`` and,
    with a burn, ``runway_months`` (``rules.vocabulary.ENVELOPE_MEASURES``)."""
    found = {"envelope": total, "envelope_spent": spent}
    months = runway(total, spent, burn)
    if months is not None:
        found["runway_months"] = months
    return found


def fiscal_year(period: str, start: int) -> tuple[str, ...]:
    """The twelve months of the fiscal year ``period`` is in, when years start in month
    ``start`` (1-12): ``fiscal_year("2026-03", 7)`` is 2025-07 .. 2026-06."""
    year, month = int(period[:4]), int(period[5:7])
    first = f"{year if month >= start else year - 1:04d}-{start:02d}"
    months = [first]
    for _ in range(11):
        months.append(month_after(months[-1]))
    return tuple(months)


def envelope_of(period: str, fiscal_year_start: int, budgets: Mapping[str, Decimal],
                spend: Mapping[str, Decimal]) -> Envelope | None:
    """The envelope of ``period`` from the year's monthly ``budgets`` and ``spend`` (by
    month; months without a row count 0). None when the year has no budget at all: a
    venture without funding has no envelope to read."""
    months = fiscal_year(period, fiscal_year_start)
    granted = [budgets[m] for m in months if m in budgets]
    if not granted:
        return None
    to_date = months[:months.index(period) + 1]
    return Envelope(total=sum(granted, ZERO), spent=sum((spend.get(m, ZERO) for m in to_date),
                                                        ZERO),
                    burn=spend.get(period, ZERO), months_left=len(months) - len(to_date))
