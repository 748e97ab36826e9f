"""Rating a unit against its own scorecard, exactly as /shared/spec/scoring.md writes it.

Each criterion turns one measured value into a score from 0 to 100; the unit's attainment
is the weighted mean of the rated criteria. A criterion whose data is missing is not
rated and says why, rather than scoring 0: no data is not bad performance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Any

from rules.expressions import evaluate, parse, suggest
from rules.methods import METHODS, finite, show
from rules.model import (
    Band,
    BandThresholds,
    Criterion,
    CriterionResult,
    Rating,
    RuleError,
    Scorecard,
)
from rules.money import CONTEXT, HUNDRED, ZERO, D, one_decimal, weighted_mean
from rules.vocabulary import DIRECTIONS, is_period

KEY_RE = re.compile(r"[a-z][a-z0-9_-]*\Z")
DEFAULT_THRESHOLDS = BandThresholds()
MAX_CRITERIA = 50
"""Criteria in one scorecard unless the caller says otherwise (a setting of the app)."""
MAX_BANDS = 20
"""Bands of one ``bands`` criterion."""
MAX_NUMBER_CHARS = 50
MAX_MAGNITUDE = 30
"""A scorecard number has at most 50 characters and a size between 1e-30 and 1e30 (or is 0),
checked on its text before it becomes a Decimal: nothing beyond that can reach arithmetic."""
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


# --- validation ----------------------------------------------------------------------


def validate_scorecard(
    scorecard: Scorecard, known_measures: set[str] | None
) -> tuple[list[RuleError], list[RuleError]]:
    """(warnings, errors) for a scorecard about to be stored; any error means store nothing.

    A measure never seen for the unit is only a warning, with the closest known names: a
    unit head may define a criterion before its first figure arrives. ``known_measures``
    None skips that check.
    """
    errors = _scorecard_errors(scorecard)
    seen: set[str] = set()
    for position, criterion in enumerate(scorecard.criteria, start=1):
        source = f"criterion {criterion.key}"
        if criterion.key in seen:
            errors.append(RuleError(source=source, field="key", message="appears twice",
                                    key=criterion.key, position=position))
        seen.add(criterion.key)
        errors.extend(criterion_errors(criterion, position))
    warnings = [] if known_measures is None else _unknown_measures(scorecard, known_measures)
    return warnings, errors


def _scorecard_errors(scorecard: Scorecard) -> list[RuleError]:
    """Errors of the scorecard as a whole: whose it is, from when, and that it says something."""
    errors = []
    if not scorecard.unit:
        errors.append(RuleError(source="scorecard", field="unit", message="is required"))
    if not is_period(scorecard.effective_from):
        errors.append(RuleError(source=f"scorecard {scorecard.unit}", field="effective_from",
                                message="must be a period YYYY-MM"))
    if not scorecard.criteria:
        errors.append(RuleError(source=f"scorecard {scorecard.unit}", field="criteria",
                                message="needs at least one criterion"))
    return errors


def criterion_errors(criterion: Criterion, position: int | None = None) -> list[RuleError]:
    """Every reason a criterion cannot be stored, each naming the criterion and the field."""
    source = f"criterion {criterion.key}"
    errors = _identity_errors(criterion, source)
    errors.extend(_number_errors(criterion, source))
    method = METHODS.get(criterion.method)
    if method is not None:
        errors.extend(_usage_errors(criterion, source))
        if method.check is not None:
            errors.extend(method.check(criterion, source))
    return [replace(e, key=criterion.key, position=position) for e in errors]


def _identity_errors(criterion: Criterion, source: str) -> list[RuleError]:
    """Key, label, expression, direction and method: the words of a criterion."""
    errors = []
    if not KEY_RE.match(criterion.key or ""):
        errors.append(RuleError(source=source, field="key", message=(
            "must be a slug: lower-case letters, digits, _ or -, starting with a letter")))
    if not (criterion.label or "").strip():
        errors.append(RuleError(source=source, field="label", message="is required"))
    errors.extend(parse(criterion.expr, source=source)[1])
    if criterion.direction not in DIRECTIONS:
        errors.append(RuleError(source=source, field="direction",
                                message="must be 'higher' or 'lower'"))
    if criterion.method not in METHODS:
        names = [f"'{name}'" for name in METHODS]
        errors.append(RuleError(source=source, field="method",
                                message=f"must be {', '.join(names[:-1])} or {names[-1]}"))
    return errors


def _number_errors(criterion: Criterion, source: str) -> list[RuleError]:
    """A positive weight; target and floor, when given, real numbers."""
    errors = []
    if not finite(criterion.weight) or criterion.weight <= ZERO:
        errors.append(RuleError(source=source, field="weight", message="must be above 0"))
    for name in ("target", "floor"):
        value = getattr(criterion, name)
        if value is not None and not finite(value):
            errors.append(RuleError(source=source, field=name, message="must be a number"))
    return errors


def _usage_errors(criterion: Criterion, source: str) -> list[RuleError]:
    """Target and floor given exactly when the method uses them, bands only for ``bands``.

    A floor on a binary criterion would silently do nothing; saying so is kinder.
    """
    uses = METHODS[criterion.method].uses
    errors = []
    for name in ("target", "floor"):
        present = getattr(criterion, name) is not None
        if name in uses and not present:
            errors.append(RuleError(source=source, field=name,
                                    message=f"is required for the {criterion.method} method"))
        if name not in uses and present:
            errors.append(RuleError(source=source, field=name,
                                    message=f"is not used by the {criterion.method} method"))
    if criterion.bands and "bands" not in uses:
        errors.append(RuleError(source=source, field="bands",
                                message=f"is not used by the {criterion.method} method"))
    return errors


def _unknown_measures(scorecard: Scorecard, known: set[str]) -> list[RuleError]:
    """Warnings for measure names never seen for the unit, with "did you mean ...?"."""
    warnings = []
    for criterion in scorecard.criteria:
        parsed, _ = parse(criterion.expr)
        for name in parsed.order if parsed else ():
            if name in known:
                continue
            close = suggest(name, known)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            warnings.append(RuleError(source=f"criterion {criterion.key}", field="expr",
                                      key=criterion.key, message=(
                                          f"measure {name} has not been seen for unit "
                                          f"{scorecard.unit}{hint}")))
    return warnings


# --- scores --------------------------------------------------------------------------


def score(criterion: Criterion, measures: Mapping[str, Decimal]) -> CriterionResult:
    """Score one criterion from 0 to 100, or leave it not rated with the reason.

    An invalid criterion (which validation keeps out of the database) is not rated either,
    with the first problem as its note, so a bad row can never stop a close.
    """
    problems = criterion_errors(criterion)
    if problems:
        return _unrated(criterion, f"invalid criterion: {problems[0].field}: {problems[0].message}")
    parsed, _ = parse(criterion.expr)
    actual, reason = evaluate(parsed, measures)
    if reason is not None:
        return _unrated(criterion, reason)
    with localcontext(CONTEXT):
        raw = METHODS[criterion.method].raw_score(criterion, actual)
    clamped = min(max(raw, ZERO), HUNDRED)
    return _result(criterion, actual=actual, score=clamped, note=None,
                   explanation=_explain(criterion, actual, clamped, clamped != raw))


def _unrated(criterion: Criterion, reason: str) -> CriterionResult:
    """A criterion left out of the attainment, keeping the reason for the pack."""
    return _result(criterion, actual=None, score=None, note=reason,
                   explanation=f"{criterion.expr}: not rated ({reason})")


def _result(criterion: Criterion, **outcome: Any) -> CriterionResult:
    """The criterion's definition together with its outcome."""
    return CriterionResult(
        key=criterion.key, label=criterion.label, expr=criterion.expr,
        direction=criterion.direction, method=criterion.method, weight=criterion.weight,
        target=criterion.target, floor=criterion.floor, bands=criterion.bands, **outcome,
    )


def _explain(criterion: Criterion, actual: Decimal, value: Decimal, clamped: bool) -> str:
    """One sentence a unit head can check by hand, e.g.
    "desktop_spend / seats = 50; lower is better; linear from 65 (0) to 45 (100): 75.0"."""
    how = METHODS[criterion.method].describe(criterion)
    tail = " (clamped)" if clamped else ""
    return (f"{criterion.expr} = {show(actual)}; {criterion.direction} is better; "
            f"{how}: {one_decimal(value)}{tail}")


# --- attainment and bands ------------------------------------------------------------


def attain(
    scorecard: Scorecard,
    measures: Mapping[str, Decimal],
    thresholds: BandThresholds = DEFAULT_THRESHOLDS,
) -> Rating:
    """A unit's attainment: ``sum(weight * score) / sum(weight)`` over rated criteria.

    Kept at full precision: the band and every roll-up use the unrounded value.
    """
    results = tuple(score(criterion, measures) for criterion in scorecard.criteria)
    attainment = weighted_mean((r.weight, r.score) for r in results if r.score is not None)
    return Rating(unit=scorecard.unit, attainment=attainment,
                  band=band_of(attainment, thresholds), results=results)


def band_of(attainment: Decimal | None, thresholds: BandThresholds = DEFAULT_THRESHOLDS) -> str:
    """The band name of an unrounded attainment: exceeds, meets, watch, below, or unrated.

    Taken from the unrounded value, so 89.96 is "meets" even though it shows as 90.0.
    """
    if attainment is None:
        return "unrated"
    if attainment >= thresholds.exceeds:
        return "exceeds"
    if attainment >= thresholds.meets:
        return "meets"
    if attainment >= thresholds.watch:
        return "watch"
    return "below"


# --- the scorecard file --------------------------------------------------------------

_TOP_FIELDS = (("unit", "effective_from", "criteria"), ())
_CRITERION_FIELDS = (("key", "label", "expr", "direction", "method", "weight"),
                     ("target", "floor", "bands"))
_BAND_FIELDS = (("at", "score"), ())


def scorecard_from_dict(data: Any, source: str, *, max_criteria: int = MAX_CRITERIA
                        ) -> tuple[Scorecard | None, list[RuleError]]:
    """Read the JSON structure of a scorecard file (interfaces.md), checking its shape only.

    Numbers may be JSON numbers or strings; they become Decimals through their text, so
    4.5 is exactly 4.5, once their text is known to be a number of a sane size (``_number``).
    Unknown fields are errors (a typo must not vanish); so are missing required ones. More
    than ``max_criteria`` criteria, or ``MAX_BANDS`` bands, are refused before any is read.
    Call ``validate_scorecard`` next for the rules of the criteria.
    """
    scorecard, errors = read_scorecard(data, source, max_criteria=max_criteria)
    return (None, errors) if errors else (scorecard, [])


def read_scorecard(data: Any, source: str, *, max_criteria: int = MAX_CRITERIA
                   ) -> tuple[Scorecard | None, list[RuleError]]:
    """The scorecard as far as it can be read, with its shape errors.

    Unlike ``scorecard_from_dict`` a field that cannot be read does not stop the reading:
    it is left empty (None, "" or no bands) and the rest is kept, so ``validate_scorecard``
    can check every other field at once and a person sees all their mistakes in one go
    (``check_scorecard`` does both). None only when there is no scorecard object, or more
    than ``max_criteria`` criteria (refused before any is read). Criteria keep their
    positions: one that is not an object is an empty criterion in its place.
    """
    errors: list[RuleError] = []
    if not _check_fields(data, _TOP_FIELDS, source, "scorecard", errors) \
            and not isinstance(data, dict):
        return None, errors
    unit = _text(data, "unit", source, errors)
    effective_from = _text(data, "effective_from", source, errors)
    items = data.get("criteria")
    if not isinstance(items, list):
        if "criteria" in data:
            errors.append(RuleError(source=source, field="criteria", message="must be a list"))
        items = []
    if len(items) > max_criteria:
        errors.append(RuleError(source=source, field="criteria", message=(
            f"at most {max_criteria} criteria (this scorecard has {len(items)})")))
        return None, errors
    criteria = [_criterion_from_dict(item, number, source, errors)
                for number, item in enumerate(items, start=1)]
    return Scorecard(unit=unit, effective_from=effective_from, criteria=tuple(criteria)), errors


def check_scorecard(data: Any, source: str, known_measures: Callable[[str], set[str] | None],
                    *, max_criteria: int = MAX_CRITERIA
                    ) -> tuple[Scorecard | None, list[RuleError], list[RuleError]]:
    """(scorecard, warnings, errors): the shape and every rule checked in one pass.

    The one validation of a scorecard, whoever sends it (the API, the web form, a file):
    ``known_measures(unit_code)`` gives the unit's measure names (None: unknown unit, the
    check is skipped). A rule error on a field whose shape is already wrong is left out: it
    would only repeat that the field is wrong. The scorecard is the one read as far as it
    reads (None when there is none to read): store it only when there are no errors.
    """
    scorecard, shape = read_scorecard(data, source, max_criteria=max_criteria)
    if scorecard is None:
        return None, [], shape
    warnings, problems = validate_scorecard(scorecard, known_measures(scorecard.unit))
    return scorecard, warnings, shape + [e for e in problems if not _hidden_by(e, shape)]


def _hidden_by(error: RuleError, shape: list[RuleError]) -> bool:
    """Whether a shape error already speaks of the field a rule error names."""
    for found in shape:
        if found.position != error.position:
            continue
        if error.position is not None and found.field == "criterion":
            return True  # the criterion is no object at all: nothing else to say of it
        if found.field == error.field and found.band == error.band:
            return True
        if found.band is not None or found.field == "bands":
            if error.band is not None or error.field == "bands":
                return True
        if error.position is None and found.field == "criteria" and error.field == "criteria":
            return True
    return False


def _criterion_from_dict(
    data: Any, number: int, source: str, errors: list[RuleError]
) -> Criterion:
    """One criterion object as far as it reads; errors name it by key when it has one, else
    by position."""
    key = data.get("key") if isinstance(data, dict) else None
    key = key if isinstance(key, str) and key else None
    where = f"{source}: criterion {key or number}"
    found: list[RuleError] = []
    criterion = _read_criterion(data, where, found)
    errors += [replace(e, key=key, position=number) for e in found]
    return criterion


def _read_criterion(data: Any, where: str, errors: list[RuleError]) -> Criterion:
    """The fields that read; an unreadable or missing one is left empty (its error said)."""
    if not _check_fields(data, _CRITERION_FIELDS, where, "criterion", errors) \
            and not isinstance(data, dict):
        return Criterion(key="", label="", expr="", direction="", method="", weight=None)
    texts = {name: _text(data, name, where, errors)
             for name in ("key", "label", "expr", "direction", "method")}
    weight = _number(data["weight"], where, "weight", errors) if "weight" in data else None
    limits = {name: _number(data[name], where, name, errors)
              for name in ("target", "floor") if data.get(name) is not None}
    bands = _bands_from_list(data.get("bands"), where, errors)
    return Criterion(**texts, weight=weight, **limits, bands=bands or ())


def _bands_from_list(items: Any, where: str, errors: list[RuleError]) -> tuple[Band, ...] | None:
    """The ``bands`` list of {"at", "score"} objects (absent or null: none); None if unreadable."""
    if items is None:
        return ()
    if not isinstance(items, list):
        errors.append(RuleError(source=where, field="bands", message="must be a list"))
        return None
    if len(items) > MAX_BANDS:
        errors.append(RuleError(source=where, field="bands", message=(
            f"at most {MAX_BANDS} bands (this criterion has {len(items)})")))
        return None
    before = len(errors)
    bands = []
    for number, item in enumerate(items, start=1):
        label = f"{where} band {number}"
        found: list[RuleError] = []
        if _check_fields(item, _BAND_FIELDS, label, "band", found):
            at, value = (_number(item[n], label, n, found) for n in ("at", "score"))
            bands.append(Band(at=at, score=value))
        errors += [replace(e, band=number) for e in found]
    return tuple(bands) if len(errors) == before else None


def _check_fields(data: Any, fields: tuple[Sequence[str], Sequence[str]], source: str,
                  what: str, errors: list[RuleError]) -> bool:
    """An object with every required field and no unknown one; False when it is not an object."""
    if not isinstance(data, dict):
        errors.append(RuleError(source=source, field=what, message="must be an object"))
        return False
    required, optional = fields
    for name in required:
        if name not in data:
            errors.append(RuleError(source=source, field=name, message="is required"))
    for name in data:
        if name not in required and name not in optional:
            errors.append(RuleError(source=source, field=str(name),
                                    message="is not a known field"))
    return all(name in data for name in required)


def _text(data: dict, name: str, source: str, errors: list[RuleError]) -> str:
    """A required text field ("" when absent or not text, with an error for the latter)."""
    value = data.get(name, "")
    if not isinstance(value, str):
        errors.append(RuleError(source=source, field=name, message="must be text"))
        return ""
    return value


def _number(value: Any, source: str, name: str, errors: list[RuleError]) -> Decimal | None:
    """A JSON number or numeric string as an exact Decimal, through its text.

    ``json`` gives 4.5 as a binary number; its text "4.5" is what the author wrote, so the
    Decimal is exactly 4.5. The text is checked first (ASCII digits, at most
    ``MAX_NUMBER_CHARS`` characters) and the size next (``MAX_MAGNITUDE``), on the
    Decimal's exponent alone: ``1e999999999`` is refused here, never met by arithmetic.
    """
    text = _number_text(value)
    if text is None or len(text) > MAX_NUMBER_CHARS or not _NUMBER_TEXT.fullmatch(text):
        too_long = text is not None and len(text) > MAX_NUMBER_CHARS
        errors.append(RuleError(source=source, field=name, message=(
            f"must be a number of at most {MAX_NUMBER_CHARS} characters" if too_long
            else "must be a number")))
        return None
    number = D(text)
    if number.is_zero():
        return Decimal(0)
    if not -MAX_MAGNITUDE <= number.adjusted() <= MAX_MAGNITUDE:
        errors.append(RuleError(source=source, field=name, message=(
            f"is out of range: a number between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}, "
            "or 0")))
        return None
    return number


def _number_text(value: Any) -> str | None:
    """The text of a number as it was written, or None when it is no number at all; an
    integer too long to be written (Python refuses the text of one above 4300 digits) is
    given as its first digits, which are enough to refuse it."""
    if isinstance(value, (bool, list, dict)) or value is None:
        return None
    if isinstance(value, int):
        return str(value) if value.bit_length() < 200 else "9" * (MAX_NUMBER_CHARS + 1)
    return str(value).strip()


def scorecard_to_dict(scorecard: Scorecard) -> dict[str, Any]:
    """The JSON structure of a scorecard, numbers as strings so no digit is lost.

    ``scorecard_from_dict`` reads it back to an equal Scorecard; absent target, floor and
    bands are left out rather than written as null.
    """
    return {
        "unit": scorecard.unit,
        "effective_from": scorecard.effective_from,
        "criteria": [_criterion_to_dict(c) for c in scorecard.criteria],
    }


def _criterion_to_dict(criterion: Criterion) -> dict[str, Any]:
    """One criterion in the file's field order, leaving out the fields it does not use."""
    data: dict[str, Any] = {"key": criterion.key, "label": criterion.label, "expr": criterion.expr,
                            "direction": criterion.direction, "method": criterion.method}
    for name in ("target", "floor"):
        if getattr(criterion, name) is not None:
            data[name] = format(getattr(criterion, name), "f")
    if criterion.bands:
        data["bands"] = [{"at": format(b.at, "f"), "score": format(b.score, "f")}
                         for b in criterion.bands]
    data["weight"] = format(criterion.weight, "f")
    return data

