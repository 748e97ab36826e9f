"""A month's history as it stood when the month closed: the prior month, the fiscal year
to date, the last 13 closed months, and the revision before this one.

Every close keeps its Portfolio figures per revision (``PortfolioFigures``, written by
``closing``). A month reads the others as they stood at its own close: for each earlier
month, the last revision computed at or before this month's ``computed_at``. A month closed
again later, with other figures, therefore changes nothing in the packs, pages and API
answers of the months closed before it: each keeps the history it was closed with. A
provisional pack (an open month) reads every month's latest revision.

Months closed before figures were kept (an older installation) have no rows; their
figures are rolled up from what their close froze, the same way the close does it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import Period, PortfolioFigures
from chargeback.models.types import as_utc
from chargeback.services.queries import closed_month, portfolio
from chargeback.services.queries.closed_month import ClosedMonth
from chargeback.vocabulary import FROZEN_STATUSES
from reports import model as pm
from rules.money import percent_of
from rules.vocabulary import MONTH_NAMES, month_after, month_before

TREND_MONTHS = 13


@dataclass(frozen=True, kw_only=True)
class Figures:
    """A unit's Portfolio figures in one close of one month."""

    unit: str
    parent: str | None
    name: str
    is_group: bool
    model: str
    spend: Decimal
    budget: Decimal | None
    charged: Decimal
    showback: Decimal
    attainment: Decimal | None
    band: str

    @property
    def variance(self) -> Decimal | None:
        return None if self.budget is None else self.spend - self.budget


@dataclass(frozen=True, kw_only=True)
class History:
    """What a month's pack reads of other months' closes."""

    period: str
    fiscal_year_start: int
    prior_period: str
    prior: Mapping[str, Figures] | None  # None: the previous month had not closed
    ytd_months: tuple[str, ...]  # the fiscal year's closed months, this one included
    ytd_missing: tuple[str, ...]  # its months before this one that had not closed
    months: Mapping[str, Mapping[str, Figures]]  # the trend's months, this one included

    @property
    def trend_months(self) -> tuple[str, ...]:
        return tuple(sorted(self.months))


def figures_of(rows: Iterable[pm.PortfolioRow]) -> dict[str, Figures]:
    """The figures of a month's Portfolio rows, keyed by unit code."""
    return {r.unit: Figures(unit=r.unit, parent=r.parent, name=r.name, is_group=r.is_group,
                            model=r.service_model, spend=r.spend, budget=r.budget,
                            charged=r.charged, showback=r.showback, attainment=r.attainment,
                            band=r.band) for r in rows}


def fiscal_year_first_month(period: str, start: int) -> str:
    """The fiscal year's first month for ``period`` when years start in month ``start``."""
    year, month = int(period[:4]), int(period[5:7])
    return f"{year if month >= start else year - 1:04d}-{start:02d}"


def load(session: Session, month: ClosedMonth, rows: Sequence[pm.PortfolioRow]) -> History:
    """The history of ``month`` (whose own Portfolio is ``rows``) as of its close."""
    moment = _moment_of(month)
    kept = _kept_as_of(session, month.period, moment)
    current = figures_of(rows)
    prior_period = month_before(month.period)
    first = fiscal_year_first_month(month.period, month.fiscal_year_start)
    fiscal = _months_between(first, month.period)[:-1]
    trend = sorted(kept)[-(TREND_MONTHS - 1):]
    wanted = set(trend) | {p for p in fiscal if p in kept} | (
        {prior_period} if prior_period in kept else set())
    figures = _figures_of(session, {period: kept[period] for period in wanted})
    return History(
        period=month.period, fiscal_year_start=month.fiscal_year_start,
        prior_period=prior_period, prior=figures.get(prior_period),
        ytd_months=tuple(p for p in fiscal if p in figures) + (month.period,),
        ytd_missing=tuple(p for p in fiscal if p not in figures),
        months={**{p: figures[p] for p in trend}, month.period: current})


def portfolio_of(session: Session, month: ClosedMonth
                 ) -> tuple[tuple[pm.PortfolioRow, ...], tuple[str, ...], History]:
    """The month's Portfolio rows with their prior-month and year-to-date columns, its
    notes, and its history: what the pack, the Portfolio page and the API all show."""
    rows, notes = portfolio.rows(month)
    past = load(session, month, rows)
    return with_history(rows, past), notes + notes_of(past), past


def notes_of(past: History) -> tuple[str, ...]:
    """What the year-to-date and prior-month columns are made of."""
    text = (f"Fiscal years start in {MONTH_NAMES[past.fiscal_year_start - 1]}: YTD columns "
            f"sum {', '.join(past.ytd_months)}")
    if past.ytd_missing:
        text += (f"; {', '.join(past.ytd_missing)} had not closed when this month closed "
                 "and count nothing")
    prior = (f"Prior columns are {past.prior_period} as it stood when this month closed."
             if past.prior is not None else
             f"Prior columns are empty: {past.prior_period} had not closed when this month "
             "closed.")
    return (text + ".", prior)


def of_revision(session: Session, period: str, revision: int) -> dict[str, Figures] | None:
    """The figures an earlier close of ``period`` left (None: not kept)."""
    rows = list(session.scalars(select(PortfolioFigures).where(
        PortfolioFigures.period == period, PortfolioFigures.revision == revision)))
    return {r.unit_code: _from_row(r) for r in rows} or None


def with_history(rows: Sequence[pm.PortfolioRow], history: History) -> tuple[pm.PortfolioRow, ...]:
    """The rows with their prior month and fiscal-year-to-date columns filled in."""
    earlier = [history.months.get(p) or {} for p in history.ytd_months[:-1]]
    return tuple(_with_history(row, history.prior, [m.get(row.unit) for m in earlier])
                 for row in rows)


def _with_history(row: pm.PortfolioRow, prior: Mapping[str, Figures] | None,
                  earlier: list[Figures | None]) -> pm.PortfolioRow:
    present = [f for f in earlier if f is not None]
    ytd_spend = row.spend + sum((f.spend for f in present), Decimal("0.00"))
    budgets = [row.budget, *(f.budget for f in present)]
    ytd_budget = None if None in budgets else sum(budgets, Decimal("0.00"))
    before = prior.get(row.unit) if prior else None
    return dataclasses.replace(
        row, ytd_spend=ytd_spend, ytd_budget=ytd_budget,
        ytd_variance=None if ytd_budget is None else ytd_spend - ytd_budget,
        prior_spend=before.spend if before else None,
        prior_attainment=before.attainment if before else None)


def trend_rows(history: History, order: Sequence[str]) -> tuple[pm.TrendRow, ...]:
    """One row per unit and month, units in ``order`` (then any unit only earlier months
    had, by code), months oldest first."""
    units = list(order) + sorted({u for m in history.months.values() for u in m} - set(order))
    return tuple(
        pm.TrendRow(period=period, unit=code, name=f.name, spend=f.spend, budget=f.budget,
                    variance=f.variance, variance_pct=_pct(f.variance, f.budget),
                    charged=f.charged, attainment=f.attainment, band=f.band)
        for code in units for period in history.trend_months
        if (f := history.months[period].get(code)) is not None)


def _pct(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    return None if part is None or whole is None else percent_of(part, whole)


# --- reading the kept figures -------------------------------------------------------------


def close_moment(status: str, computed_at: dt.datetime | None) -> dt.datetime | None:
    """When a month's close froze it: what it reads of other months' closes stops there.
    None for an open month, which reads every month's latest revision."""
    if status in FROZEN_STATUSES and computed_at is not None:
        return as_utc(computed_at)
    return None


def kept_by(computed_at: dt.datetime, moment: dt.datetime | None) -> bool:
    """Whether a revision computed at ``computed_at`` is read by a month closed at
    ``moment`` (None: an open month reads them all)."""
    return moment is None or as_utc(computed_at) <= moment


def _moment_of(month: ClosedMonth) -> dt.datetime | None:
    return close_moment(month.status, month.computed_at)


def _kept_as_of(session: Session, period: str, moment: dt.datetime | None
                ) -> dict[str, int | None]:
    """Months before ``period`` closed by ``moment``: month -> the revision to read (None:
    a month closed before figures were kept, read from its frozen results). Two queries,
    however many months there are."""
    kept: dict[str, int | None] = {}
    with_figures = set()
    for month, revision, computed in session.execute(
            select(PortfolioFigures.period, PortfolioFigures.revision,
                   PortfolioFigures.computed_at)
            .where(PortfolioFigures.period < period).distinct()):
        with_figures.add(month)
        if kept_by(computed, moment):
            kept[month] = max(revision, kept.get(month) or 0)
    for month, computed in session.execute(select(Period.period, Period.computed_at).where(
            Period.period < period, Period.status.in_(FROZEN_STATUSES))):
        if month not in with_figures and computed is not None and kept_by(computed, moment):
            kept[month] = None
    return kept


def _figures_of(session: Session, wanted: Mapping[str, int | None]
                ) -> dict[str, dict[str, Figures]]:
    """The kept figures of each wanted month (one query), or, for a month closed before
    figures were kept, its figures rolled up from its frozen results."""
    found: dict[str, dict[str, Figures]] = {period: {} for period in wanted}
    kept = [period for period, revision in wanted.items() if revision is not None]
    if kept:
        for row in session.scalars(select(PortfolioFigures).where(
                PortfolioFigures.period.in_(kept))):
            if row.revision == wanted[row.period]:
                found[row.period][row.unit_code] = _from_row(row)
    for period in (p for p, revision in wanted.items() if revision is None):
        month = closed_month.load(session, period, "USD")  # currency enters no figure
        found[period] = figures_of(portfolio.rows(month)[0])
    return found


def _from_row(r: PortfolioFigures) -> Figures:
    return Figures(unit=r.unit_code, parent=r.parent_code, name=r.name, is_group=r.is_group,
                   model=r.service_model_code, spend=r.spend, budget=r.budget,
                   charged=r.charged, showback=r.showback, attainment=r.attainment,
                   band=r.band)


def _months_between(first: str, last: str) -> list[str]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month_after(month)
    return months

