"""Another yardstick, side by side: a unit of a closed month judged by someone else's scorecard.

A unit is rated against its own scorecard, and that is the only rating the product stores.
To argue with a chain of command that judges every unit by one yardstick, central IT also
needs the what-if: "rated by Walla Walla's scorecard, Altoona would score 0 on cost per
seat, and three of Walla Walla's five criteria cannot even be measured at Altoona". This
module computes it, on each read, and never stores it.

The yardstick is either another unit's scorecard *as it rated that unit in the month* (the
version the close stored with the other unit's rating) or a service model's template (the
holding company's own template for the model if it has one, else the built-in one; a
template has no versions, so it is today's). The measures are the unit's measures of the
month as its close left them (``services.measures.for_unit``: the observed metrics, which a
closed month no longer accepts, and the ledger measures rebuilt from the frozen results),
and the scoring is ``rules.scoring.attain``, unchanged: judged by its own scorecard through
this path a unit gets exactly its stored rating.

A criterion of the yardstick whose measure the unit does not have is *not rated*, with the
reason (``missing measure seats``), as any criterion without data; the what-if attainment
is taken over the criteria that could be rated, like any attainment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from chargeback.models import Rating, ScorecardVersion, ServiceModel
from chargeback.refusals import Conflict, NotFound, Problem
from chargeback.services import measures as measure_data
from chargeback.services.queries import ratings
from chargeback.services.queries.closed_month import ClosedMonth
from chargeback.services.scorecards import to_rules
from reports import model as pm
from rules import model as rm
from rules.money import one_decimal
from rules.scoring import attain, scorecard_from_dict
from rules.templates import template_for

SCORECARD_OF, TEMPLATE = "scorecard_of", "template"


@dataclass(frozen=True, kw_only=True)
class Yardstick:
    """The scorecard a unit is judged by in a what-if, and where it comes from."""

    kind: str  # SCORECARD_OF: another unit's scorecard; TEMPLATE: a service model's template
    source: str  # the other unit's code, or the service model's code
    service_model: str  # the model the yardstick belongs to
    version: int | None  # the other unit's scorecard version (None: a template)
    effective_from: str | None
    scorecard: rm.Scorecard

    @property
    def title(self) -> str:
        """What people read: "WW's scorecard (version 1, from 2026-01)"."""
        if self.kind == SCORECARD_OF:
            return (f"{self.source}'s scorecard (version {self.version}, from "
                    f"{self.effective_from})")
        return f"the {self.source.replace('_', ' ')} template"


@dataclass(frozen=True, kw_only=True)
class Line:
    """One criterion side by side: as the yardstick judges the unit, and as its own
    scorecard did (None on the side whose scorecard has no criterion of that key)."""

    key: str
    label: str
    judged: pm.CriterionRow | None
    own: pm.CriterionRow | None


@dataclass(frozen=True, kw_only=True)
class WhatIf:
    """A unit of a closed month judged by another yardstick, next to its own rating."""

    period: str
    unit: str
    name: str
    service_model: str
    own: pm.UnitScorecard | None  # None: no scorecard of its own was in force
    yardstick: Yardstick
    attainment: Decimal | None  # full precision, like a stored attainment
    band: str
    criteria: tuple[pm.CriterionRow, ...]  # the yardstick's criteria, judged
    lines: tuple[Line, ...]

    @property
    def not_rated(self) -> tuple[pm.CriterionRow, ...]:
        """The yardstick's criteria the unit could not be judged on, with the reason."""
        return tuple(c for c in self.criteria if c.score is None)

    @property
    def rated_count(self) -> int:
        """K of "rated on K of N criteria": the yardstick's criteria that could be rated."""
        return len(self.criteria) - len(self.not_rated)

    @property
    def banded(self) -> bool:
        """Whether the what-if's band may be shown: only when the criteria that could be
        rated carry at least half of the yardstick's weight (``banded_by_weight``). A
        score resting on one criterion of five is that criterion's score, not a verdict on
        the unit; the attainment is still shown, with its K of N."""
        return self.attainment is not None and banded_by_weight(self.criteria)


def banded_by_weight(criteria: tuple[pm.CriterionRow, ...]) -> bool:
    """At least half of the total weight is on criteria that could be rated. By weight,
    not by count, because the attainment is a weighted mean: what counts is how much of
    the yardstick the score stands for."""
    total = sum((c.weight for c in criteria), Decimal(0))
    rated = sum((c.weight for c in criteria if c.score is not None), Decimal(0))
    return total > 0 and rated * 2 >= total


TOO_FEW = "too few criteria measurable to band"


class Book:
    """What many what-ifs of one month read, read once: the month's measures of every unit
    (``measures.for_month``: the close's own source), the stored ratings with their
    criteria, and the scorecard version each rated unit was rated with. A fixed number of
    queries, whatever the number of pairs ``Why they differ`` judges."""

    def __init__(self, session: Session, month: ClosedMonth):
        self.session, self.month = session, month
        self.measures = measure_data.for_month(session, month.period)
        self.cards = ratings.scorecards(session, month.period)
        self._versions: dict[int, ScorecardVersion] | None = None

    def versions(self) -> dict[int, ScorecardVersion]:
        """Unit id -> the scorecard version its rating of the month was made with."""
        if self._versions is None:
            query = (select(Rating.unit_id, ScorecardVersion)
                     .join(ScorecardVersion, Rating.scorecard_version_id == ScorecardVersion.id)
                     .where(Rating.period == self.month.period)
                     .options(selectinload(ScorecardVersion.criteria)))
            self._versions = {unit_id: version for unit_id, version in self.session.execute(query)}
        return self._versions

    def other_scorecard(self, code: str) -> Yardstick:
        """The scorecard ``code`` was rated with in the month (the version its close stored).

        Refused when the unit was not in the month's tree (NotFound) or was not rated
        that month, having no scorecard in force (Conflict): there is no yardstick to lend.
        """
        month = self.month
        node = month.tree.get(code)
        if node is None:
            raise NotFound(Problem(field="scorecard_of", message=(
                f"{code} was not in the tree when {month.period} closed.")))
        version = self.versions().get(node.unit_id)
        if version is None:
            raise Conflict(Problem(field="scorecard_of", message=(
                f"{code} was not rated in {month.period}: it had no scorecard in force.")))
        return Yardstick(kind=SCORECARD_OF, source=code, service_model=node.model,
                         version=version.version, effective_from=version.effective_from,
                         scorecard=to_rules(version, code))

    def judge(self, code: str, yardstick: Yardstick) -> WhatIf:
        """``code`` in the month judged by ``yardstick``, beside its own stored rating."""
        month = self.month
        node = month.tree.get(code)
        if node is None:
            raise NotFound(Problem(field="code", message=(
                f"{code} was not in the tree when {month.period} closed.")))
        rating = attain(yardstick.scorecard, self.measures.of(node.unit_id), month.limits)
        own = self.cards.get(code)
        judged = tuple(criterion_row(r) for r in rating.results)
        return WhatIf(period=month.period, unit=code, name=node.name,
                      service_model=node.model, own=own, yardstick=yardstick,
                      attainment=rating.attainment, band=rating.band, criteria=judged,
                      lines=side_by_side(judged, own))


def model_template(session: Session, model: str) -> Yardstick:
    """A service model's template: the holding's own for the model, else the built-in one."""
    row = session.get(ServiceModel, model)
    if row is None:
        raise NotFound(Problem(field="template", message=f"There is no service model {model!r}."))
    scorecard = _stored_template(row) or template_for(model, unit=model)
    if scorecard is None:
        raise Conflict(Problem(field="template", message=(
            f"The service model {model} has no template to judge by.")))
    return Yardstick(kind=TEMPLATE, source=model, service_model=model, version=None,
                     effective_from=None, scorecard=scorecard)


def _stored_template(row: ServiceModel) -> rm.Scorecard | None:
    """The holding's own template (its criteria as a list, or a scorecard object)."""
    custom = row.template
    if isinstance(custom, list):
        custom = {"criteria": custom}
    if not isinstance(custom, dict):
        return None
    scorecard, errors = scorecard_from_dict(
        {"unit": row.code, "effective_from": custom.get("effective_from") or "1900-01",
         "criteria": custom.get("criteria") or []}, f"template {row.code}")
    return None if errors else scorecard


def side_by_side(judged: tuple[pm.CriterionRow, ...],
                 own: pm.UnitScorecard | None) -> tuple[Line, ...]:
    """The yardstick's criteria in its order, then the unit's own criteria it lacks; a
    criterion of the same key on both sides shares a line."""
    mine: Mapping[str, pm.CriterionRow] = {c.key: c for c in own.criteria} if own else {}
    lines = [Line(key=c.key, label=c.label, judged=c, own=mine.get(c.key)) for c in judged]
    theirs = {c.key for c in judged}
    lines += [Line(key=c.key, label=c.label, judged=None, own=c)
              for c in (own.criteria if own else ()) if c.key not in theirs]
    return tuple(lines)


def criterion_row(result: rm.CriterionResult) -> pm.CriterionRow:
    """A rules result in the shape a stored criterion result is read in."""
    return pm.CriterionRow(
        key=result.key, label=result.label, expr=result.expr, direction=result.direction,
        method=result.method, weight=result.weight, target=result.target, floor=result.floor,
        bands=ratings.bands_text([{"at": b.at, "score": b.score} for b in result.bands]),
        actual=result.actual, score=result.score, note=result.note,
        explanation=result.explanation)


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """A unit judged by another's yardstick, or why it cannot be (``reason``)."""

    unit: str
    by: str  # the unit or service model whose yardstick it is
    what_if: WhatIf | None
    reason: str | None


def attempt(book: Book, code: str, *, scorecard_of: str | None = None,
            template: str | None = None) -> Attempt:
    """``judge`` by another unit's scorecard or a template, a refusal kept as the reason."""
    by = scorecard_of or template or ""
    try:
        stick = (book.other_scorecard(scorecard_of) if scorecard_of
                 else model_template(book.session, by))
        return Attempt(unit=code, by=by, what_if=book.judge(code, stick), reason=None)
    except (NotFound, Conflict) as refusal:
        return Attempt(unit=code, by=by, what_if=None,
                       reason="; ".join(p.message for p in refusal.problems))


def each_by_other(book: Book, a: str, b: str) -> tuple[Attempt, Attempt]:
    """``a`` judged by ``b``'s scorecard and ``b`` by ``a``'s, in the month."""
    return attempt(book, a, scorecard_of=b), attempt(book, b, scorecard_of=a)


def pair_sentence(first: Attempt, second: Attempt) -> str:
    """One line for a pair of siblings of different service models, both directions, e.g.
    "What-if, never a rating: judged by ALT's scorecard, WW would score 60.0 (meets, rated
    on 3 of 4 criteria) and on its own it scores 80.8 (meets); 1 of ALT's 4 criteria cannot
    be measured at WW (missing measure researcher_csat). Judged by WW's scorecard, ..."; a
    score on criteria carrying less than half the yardstick's weight gets no band: "would
    score 100.0 (rated on 1 of 5 criteria: too few criteria measurable to band)"."""
    first_text, second_text = _told(first), _told(second)
    return (f"What-if, never a rating: {first_text}. "
            f"{second_text[0].upper()}{second_text[1:]}.")


def _told(one: Attempt) -> str:
    if one.what_if is None:
        return (f"{one.unit} cannot be judged by {one.by}'s scorecard "
                f"({one.reason.rstrip('.') if one.reason else 'no scorecard'})")
    found, own = one.what_if, one.what_if.own
    rated_on = f"rated on {found.rated_count} of {len(found.criteria)} criteria"
    if found.attainment is None:
        score = f"could not be rated at all ({rated_on})"
    elif found.banded:
        score = f"would score {one_decimal(found.attainment)} ({found.band}, {rated_on})"
    else:
        score = f"would score {one_decimal(found.attainment)} ({rated_on}: {TOO_FEW})"
    mine = (f"on its own it scores {one_decimal(own.attainment)} ({own.band})"
            if own is not None and own.attainment is not None
            else "on its own it is not rated")
    text = f"judged by {one.by}'s scorecard, {one.unit} {score} and {mine}"
    missing = found.not_rated
    if missing:
        text += (f"; {len(missing)} of {one.by}'s {len(found.criteria)} criteria cannot be "
                 f"measured at {one.unit} ({', '.join(c.note or '' for c in missing)})")
    return text
