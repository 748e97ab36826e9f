"""Stored ratings: each unit against its own scorecard, criterion by criterion.

Read with their criterion results in one go (``selectinload``) and named as the tree stood
at each close, so a page of twelve months costs the same few statements as a page of one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chargeback.models import Rating, UnitTreeSnapshot
from reports import model as pm


def _as_it_stood(query, periods: Sequence[str]):
    """``query`` over the ratings of ``periods``, joined to the unit as it stood at each
    close (its tree snapshot)."""
    return (query.join(UnitTreeSnapshot, (UnitTreeSnapshot.period == Rating.period)
                       & (UnitTreeSnapshot.unit_id == Rating.unit_id))
            .where(Rating.period.in_(list(periods))))


def _rated(periods: Sequence[str]):
    """Ratings of ``periods`` with the unit as it stood at each close."""
    return _as_it_stood(select(Rating, UnitTreeSnapshot), periods)


def scorecards(session: Session, period: str,
               codes: Iterable[str] | None = None) -> dict[str, pm.UnitScorecard]:
    """Unit code -> its rating in ``period`` with every criterion (the pack's unit sheets)."""
    query = _rated([period]).options(selectinload(Rating.results))
    if codes is not None:
        query = query.where(UnitTreeSnapshot.unit_code.in_(list(codes)))
    return {snapshot.unit_code: scorecard(rating, snapshot)
            for rating, snapshot in session.execute(query)}


def of_unit(session: Session, unit_id: int, periods: Sequence[str]
            ) -> dict[str, pm.UnitScorecard]:
    """Period -> the unit's rating with its criteria, for the periods it was rated."""
    query = _rated(periods).where(Rating.unit_id == unit_id).options(
        selectinload(Rating.results))
    return {rating.period: scorecard(rating, snapshot)
            for rating, snapshot in session.execute(query)}


def scorecard(rating: Rating, snapshot: UnitTreeSnapshot) -> pm.UnitScorecard:
    """A stored rating with its criteria, as the pack's unit sheet and the pages show it."""
    return pm.UnitScorecard(
        unit=snapshot.unit_code, name=snapshot.name, service_model=snapshot.service_model_code,
        version=rating.scorecard_version, effective_from=rating.scorecard_from,
        attainment=rating.attainment, band=rating.band,
        criteria=tuple(pm.CriterionRow(
            key=c.key, label=c.label, expr=c.expr, direction=c.direction, method=c.method,
            weight=c.weight, target=c.target, floor=c.floor, bands=bands_text(c.bands),
            actual=c.actual, score=c.score, note=c.note, explanation=c.explanation)
            for c in rating.results))


def bands_text(bands) -> str | None:
    if not bands:
        return None
    return "; ".join(f"{b['at']} -> {b['score']}" for b in bands)


def history(session: Session, periods: Sequence[str],
            codes: Iterable[str]) -> dict[str, dict[str, tuple[Decimal | None, str]]]:
    """Unit code -> {period: (attainment, band)} of each unit's own ratings in ``periods``."""
    wanted = list(codes)
    rows = session.execute(_as_it_stood(
        select(UnitTreeSnapshot.unit_code, Rating.period, Rating.attainment, Rating.band),
        periods).where(UnitTreeSnapshot.unit_code.in_(wanted)))
    found: dict[str, dict[str, tuple[Decimal | None, str]]] = defaultdict(dict)
    for code, period, attainment, band in rows:
        found[code][period] = (attainment, band)
    return found


def stored(session: Session, unit_id: int, periods: Sequence[str]) -> dict[str, Rating]:
    """Period -> the Rating row (with its criterion rows), for a preview beside it."""
    query = (select(Rating).where(Rating.unit_id == unit_id, Rating.period.in_(list(periods)))
             .options(selectinload(Rating.results)))
    return {r.period: r for r in session.scalars(query)}
