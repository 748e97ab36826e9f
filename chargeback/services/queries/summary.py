"""The ``Summary`` sheet: the page a CFO reads first.

**Headline**: for the holding company and each group, its spend, budget and variance (this
month against the prior month's), the fiscal year to date, billed and showback recovery,
and how many of its units are in each band, each against its own scorecard.

**What changed** since the prior month: the largest movements in spend and in
attainment, every band change, the scorecard versions that came into force this month, and
the credits and corrections booked in the month (negative spend lines). A revision (a
month closed again after a reopening) adds the reopening (reason, who, when) and every
Portfolio figure that differs from the previous revision.

Everything is read from closes: the month's own, and the others' as they stood when this
month closed (``history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import AuditEntry, SpendLine
from chargeback.services.queries.closed_month import ClosedMonth
from chargeback.services.queries.history import Figures, History, of_revision
from reports import model as pm
from rules.money import percent_of
from rules.vocabulary import BANDS

TOP_MOVES = 5
NOTICEABLE = Decimal("0.05")  # an attainment move that shows as at least 0.1
ZERO = Decimal("0.00")
HEADLINE, CHANGED, REVISION = "Headline", "What changed", "Revision"
REVISED_FIGURES = ("Spend", "Budget", "Variance", "Charged", "Showback", "Attainment", "Band")


def rows(session: Session, month: ClosedMonth, portfolio: Sequence[pm.PortfolioRow],
         history: History, cards: Sequence[pm.UnitScorecard]) -> tuple[pm.SummaryRow, ...]:
    found = [line for r in portfolio if r.is_group or r.parent is None
             for line in headline(r, history)]
    found += movements(portfolio, history)
    found += scorecards_in_force(month.period, cards, {r.unit: r.name for r in portfolio})
    found += credits(session, month)
    if month.revision > 1:
        found += revision(session, month, portfolio)
    return tuple(found)


# --- headline ---------------------------------------------------------------------------


def headline(r: pm.PortfolioRow, history: History) -> list[pm.SummaryRow]:
    """A group's (or the holding company's) figures, each beside the prior month's."""
    before = history.prior.get(r.unit) if history.prior else None
    prior = f"prior month {history.prior_period}" if before else (
        f"{history.prior_period} not closed" if history.prior is None else
        f"not in the tree in {history.prior_period}")
    ytd = f"fiscal year to date: {history.ytd_months[0]} to {history.period}"
    billed = r.charged - r.showback

    def line(figure, kind, value, was=None, detail=None):
        change = (value - was if isinstance(value, Decimal) and isinstance(was, Decimal)
                  else None)
        return pm.SummaryRow(section=HEADLINE, unit=r.unit, name=r.name, figure=figure,
                             kind=kind, value=value, before=was, change=change, detail=detail)

    rated = sum(r.band_counts.get(b, 0) for b in BANDS if b != "unrated")
    return [
        line("Spend", "money", r.spend, before.spend if before else None, prior),
        line("Budget", "money", r.budget, before.budget if before else None,
             _no_budget(r) or prior),
        line("Variance", "money", r.variance, before.variance if before else None,
             "spend - budget: positive is over budget"),
        line("Variance %", "percent", r.variance_pct, None, "of budget"),
        line("YTD spend", "money", r.ytd_spend, None, ytd),
        line("YTD budget", "money", r.ytd_budget, None, ytd),
        line("YTD variance", "money", r.ytd_variance, None, ytd),
        line("Billed recovery", "money", billed,
             before.charged - before.showback if before else None,
             "charged to consumers and posted to the journal"),
        line("Showback recovery", "money", r.showback, before.showback if before else None,
             "computed and reported, not billed"),
        line("Recovery %", "percent", r.recovery_pct, None, "charged / spend"),
        line("Units by band", "count", sum(r.band_counts.values()), None,
             ", ".join(f"{r.band_counts.get(b, 0)} {b}" for b in BANDS)
             + f" ({rated} rated, each against its own scorecard)"),
    ]


def _no_budget(r: pm.PortfolioRow) -> str | None:
    if r.budget is not None or not r.without_budget:
        return None
    return "no budget: " + ", ".join(r.without_budget) + " have none for the month"


# --- what changed -----------------------------------------------------------------------


def movements(portfolio: Sequence[pm.PortfolioRow], history: History) -> list[pm.SummaryRow]:
    """The largest spend and attainment movements of the units, and every band change."""
    if history.prior is None:
        return [pm.SummaryRow(section=CHANGED, unit=None, name=None, figure="Prior month",
                              kind="text", value=history.prior_period,
                              detail="not closed when this month closed: no movements")]
    pairs = [(r, history.prior[r.unit]) for r in portfolio
             if not r.is_group and r.unit in history.prior]
    spend = sorted(((r, b) for r, b in pairs if r.spend != b.spend),
                   key=lambda p: (-abs(p[0].spend - p[1].spend), p[0].unit))[:TOP_MOVES]
    found = [_move(r, "Spend", "money", r.spend, b.spend,
                   _pct_text(r.spend - b.spend, b.spend)) for r, b in spend]
    rated = [(r, b) for r, b in pairs if r.attainment is not None and b.attainment is not None
             and abs(r.attainment - b.attainment) >= NOTICEABLE]
    rated = sorted(rated, key=lambda p: (-abs(p[0].attainment - p[1].attainment),
                                         p[0].unit))[:TOP_MOVES]
    found += [_move(r, "Attainment", "percent", r.attainment, b.attainment,
                    "against its own scorecard") for r, b in rated]
    found += [pm.SummaryRow(section=CHANGED, unit=r.unit, name=r.name, figure="Band",
                            kind="text", value=r.band, before=b.band,
                            detail=f"{b.band} -> {r.band}")
              for r, b in pairs if r.band != b.band]
    return found


def _move(r: pm.PortfolioRow, figure: str, kind: str, value: Decimal, before: Decimal,
          detail: str) -> pm.SummaryRow:
    return pm.SummaryRow(section=CHANGED, unit=r.unit, name=r.name, figure=figure, kind=kind,
                         value=value, before=before, change=value - before, detail=detail)


def _pct_text(change: Decimal, base: Decimal) -> str:
    pct = percent_of(change, base)
    return "from nothing" if pct is None else f"{pct:+.1f} % on the prior month"


def scorecards_in_force(period: str, cards: Sequence[pm.UnitScorecard],
                        names: dict[str, str]) -> list[pm.SummaryRow]:
    """The scorecard versions that came into force this month (effective from it)."""
    return [pm.SummaryRow(section=CHANGED, unit=c.unit, name=names.get(c.unit, c.name),
                          figure="Scorecard", kind="text", value=f"version {c.version}",
                          detail=f"in force from {c.effective_from}: the unit is rated on "
                                 "these criteria from this month")
            for c in cards if c.effective_from == period]


def credits(session: Session, month: ClosedMonth) -> list[pm.SummaryRow]:
    """Negative spend lines booked in the month: credits and corrections.

    Spend lines of a closed month cannot change (an import into it is refused until it is
    reopened, and a reopened month is closed again as a new revision), so reading them is
    reading what the close used."""
    code_of = {node.unit_id: code for code, node in month.tree.items()}
    lines = session.execute(
        select(SpendLine.unit_id, SpendLine.cost_pool, SpendLine.tower, SpendLine.account,
               SpendLine.description, SpendLine.amount)
        .where(SpendLine.period == month.period, SpendLine.amount < 0)
        .order_by(SpendLine.amount, SpendLine.id))
    found = []
    for unit_id, pool, tower, account, description, amount in lines:
        code = code_of.get(unit_id)
        where = ", ".join(x for x in (f"pool {pool}", tower and f"tower {tower}",
                                      account and f"account {account}") if x)
        found.append(pm.SummaryRow(
            section=CHANGED, unit=code, name=month.tree[code].name if code else None,
            figure="Credit", kind="money", value=amount,
            detail=f"{where}: {description}" if description else where))
    return found


# --- a revision -------------------------------------------------------------------------


def revision(session: Session, month: ClosedMonth,
             portfolio: Sequence[pm.PortfolioRow]) -> list[pm.SummaryRow]:
    """Why the month was reopened, and every figure that differs from the last revision."""
    found = [reopening(session, month)]
    earlier = of_revision(session, month.period, month.revision - 1)
    if earlier is None:
        found.append(pm.SummaryRow(
            section=REVISION, unit=None, name=None, figure="Revised figures", kind="text",
            value=None, detail=f"the figures of revision {month.revision - 1} were not kept "
                               "(closed before this version of the product)"))
        return found
    for r in portfolio:
        was = earlier.get(r.unit)
        found += _revised(r, was) if was else [pm.SummaryRow(
            section=REVISION, unit=r.unit, name=r.name, figure="Unit", kind="text",
            value="added", detail=f"not in revision {month.revision - 1}")]
    found += [pm.SummaryRow(section=REVISION, unit=code, name=was.name, figure="Unit",
                            kind="text", value="removed", before="present",
                            detail=f"in revision {month.revision - 1}, not in this one")
              for code, was in sorted(earlier.items())
              if code not in {r.unit for r in portfolio}]
    return found


def reopening(session: Session, month: ClosedMonth) -> pm.SummaryRow:
    """The latest reopening of the month before this close: its reason, who and when."""
    query = select(AuditEntry).where(AuditEntry.action == "period.reopen",
                                     AuditEntry.entity_key == month.period)
    if month.computed_at is not None:  # the reopening before this close, not a later one
        query = query.where(AuditEntry.at <= month.computed_at)
    entry = session.scalars(query.order_by(AuditEntry.id.desc()).limit(1)).first()
    if entry is None:
        return pm.SummaryRow(section=REVISION, unit=None, name=None, figure="Reopened",
                             kind="text", value=f"revision {month.revision}",
                             detail="no reopening recorded")
    when = entry.at.strftime("%Y-%m-%d %H:%M UTC")
    return pm.SummaryRow(section=REVISION, unit=None, name=None, figure="Reopened",
                         kind="text", value=f"revision {month.revision}",
                         detail=f"reopened by {entry.actor} on {when}: {entry.reason}")


def _revised(r: pm.PortfolioRow, was: Figures) -> list[pm.SummaryRow]:
    now = {"Spend": r.spend, "Budget": r.budget, "Variance": r.variance,
           "Charged": r.charged, "Showback": r.showback, "Attainment": r.attainment,
           "Band": r.band}
    before = {"Spend": was.spend, "Budget": was.budget, "Variance": was.variance,
              "Charged": was.charged, "Showback": was.showback, "Attainment": was.attainment,
              "Band": was.band}
    found = []
    for figure in REVISED_FIGURES:
        if now[figure] == before[figure] or (figure == "Variance" and r.envelope is not None):
            continue  # a venture's Variance is its envelope's: its spend and budget tell
        kind = "text" if figure == "Band" else "percent" if figure == "Attainment" else "money"
        numbers = isinstance(now[figure], Decimal) and isinstance(before[figure], Decimal)
        found.append(pm.SummaryRow(
            section=REVISION, unit=r.unit, name=r.name, figure=figure, kind=kind,
            value=now[figure], before=before[figure],
            change=now[figure] - before[figure] if numbers else None,
            detail="changed from the previous revision"))
    return found
