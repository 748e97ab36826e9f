"""scoring.py: the worked examples of scoring.md, every validation rule, each method and
direction, the not-rated reasons, and properties of scores and attainment."""

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.model import Band, BandThresholds, Criterion, RuleError, Scorecard
from rules.money import D, one_decimal
from rules.scoring import (
    attain,
    band_of,
    score,
    scorecard_from_dict,
    scorecard_to_dict,
    validate_scorecard,
)

FAST = settings(max_examples=100, deadline=None, database=None)


def crit(key="c", expr="x", direction="higher", method="linear", target="1", floor="0",
         bands=(), weight="1", label=None):
    """A criterion from text figures; None leaves target or floor out."""
    return Criterion(
        key=key, label=label if label is not None else key.title(), expr=expr,
        direction=direction, method=method,
        target=None if target is None else D(target), floor=None if floor is None else D(floor),
        bands=tuple(Band(at=D(a), score=D(s)) for a, s in bands), weight=D(weight),
    )


WALLA_WALLA = Scorecard(unit="WW", effective_from="2026-01", criteria=(
    crit("cost_per_seat", "desktop_spend / seats", "lower", target="45", floor="65", weight="3"),
    crit("availability", "availability", "higher", target="99.5", floor="98.0", weight="2"),
    crit("first_day_fix", "first_day_fix_pct", "higher", "binary", target="80", floor=None),
))
WALLA_WALLA_MEASURES = {"desktop_spend": D(50000), "seats": D(1000), "availability": D("99.2"),
                        "first_day_fix_pct": D(82)}

ALTOONA = Scorecard(unit="ALT", effective_from="2026-01", criteria=(
    crit("csat", "researcher_csat", "higher", target="4.5", floor="3.5", weight="3"),
    crit("turnaround", "turnaround_days", "lower", target="2", floor="7", weight="2"),
    crit("on_budget", "spend / budget", "lower", "bands", target=None, floor=None,
         bands=(("1.00", "100"), ("1.05", "70"), ("1.10", "40"))),
))
ALTOONA_MEASURES = {"desktop_spend": D(90000), "seats": D(600), "researcher_csat": D("4.6"),
                    "turnaround_days": D("3.2"), "spend": D(90000), "budget": D(88000)}


# --- the worked example --------------------------------------------------------------


def test_walla_walla_scores_80_8_meets():
    rating = attain(WALLA_WALLA, WALLA_WALLA_MEASURES)
    assert [r.actual for r in rating.results] == [D(50), D("99.2"), D(82)]
    assert [r.score for r in rating.results] == [D(75), D(80), D(100)]
    assert rating.attainment == D(485) / D(6)
    assert str(rating.attainment).startswith("80.8333333")
    assert one_decimal(rating.attainment) == D("80.8")
    assert rating.band == "meets"
    assert rating.unit == "WW"


def test_walla_walla_explanations_read_as_sentences():
    results = attain(WALLA_WALLA, WALLA_WALLA_MEASURES).results
    assert results[0].explanation == (
        "desktop_spend / seats = 50; lower is better; linear from 65 (0) to 45 (100): 75.0")
    assert results[1].explanation == (
        "availability = 99.2; higher is better; linear from 98.0 (0) to 99.5 (100): 80.0")
    assert results[2].explanation == (
        "first_day_fix_pct = 82; higher is better; 100 at or above 80, else 0: 100.0")


def test_altoona_scores_87_0_meets():
    rating = attain(ALTOONA, ALTOONA_MEASURES)
    csat, turnaround, on_budget = rating.results
    assert csat.score == D(100) and csat.explanation.endswith("100.0 (clamped)")
    assert turnaround.score == D(76)
    assert on_budget.actual == D(90000) / D(88000)
    assert on_budget.score == D(70)
    assert on_budget.explanation == ("spend / budget = 1.0227; lower is better; "
                                     "bands 1.00 -> 100, 1.05 -> 70, 1.10 -> 40: 70.0")
    assert rating.attainment == D(87)
    assert one_decimal(rating.attainment) == D("87.0")
    assert rating.band == "meets"


def test_under_walla_wallas_yardstick_altoona_would_score_zero_on_cost_per_seat():
    result = score(WALLA_WALLA.criteria[0], ALTOONA_MEASURES)
    assert result.actual == D(150) and result.score == D(0)


def test_result_carries_the_definition():
    result = score(WALLA_WALLA.criteria[0], WALLA_WALLA_MEASURES)
    assert (result.key, result.expr, result.direction, result.method) == (
        "cost_per_seat", "desktop_spend / seats", "lower", "linear")
    assert (result.target, result.floor, result.weight, result.note) == (D(45), D(65), D(3), None)


# --- methods and directions ----------------------------------------------------------


@pytest.mark.parametrize(("direction", "target", "floor", "actual", "expected"), [
    ("higher", "99.5", "98.0", "99.2", "80"),
    ("higher", "99.5", "98.0", "98.0", "0"),
    ("higher", "99.5", "98.0", "99.5", "100"),
    ("higher", "99.5", "98.0", "97", "0"),
    ("higher", "99.5", "98.0", "100", "100"),
    ("lower", "45", "65", "50", "75"),
    ("lower", "45", "65", "65", "0"),
    ("lower", "45", "65", "40", "100"),
    ("lower", "45", "65", "150", "0"),
    ("lower", "2", "7", "3.2", "76"),
    ("higher", "0", "-10", "-5", "50"),
])
def test_linear(direction, target, floor, actual, expected):
    result = score(crit(direction=direction, target=target, floor=floor), {"x": D(actual)})
    assert result.score == D(expected)


@pytest.mark.parametrize(("direction", "actual", "expected"), [
    ("higher", "82", "100"), ("higher", "80", "100"), ("higher", "79.99", "0"),
    ("lower", "78", "100"), ("lower", "80", "100"), ("lower", "80.01", "0"),
])
def test_binary(direction, actual, expected):
    criterion = crit(direction=direction, method="binary", target="80", floor=None)
    assert score(criterion, {"x": D(actual)}).score == D(expected)


def test_binary_explanation_for_lower():
    criterion = crit(direction="lower", method="binary", target="80", floor=None)
    assert score(criterion, {"x": D(81)}).explanation == (
        "x = 81; lower is better; 100 at or below 80, else 0: 0.0")


LOWER_BANDS = (("1.00", "100"), ("1.05", "70"), ("1.10", "40"))
HIGHER_BANDS = (("2", "40"), ("4", "70"), ("6", "100"))


@pytest.mark.parametrize(("direction", "bands", "actual", "expected"), [
    ("lower", LOWER_BANDS, "0.5", "100"),
    ("lower", LOWER_BANDS, "1.00", "100"),
    ("lower", LOWER_BANDS, "1.0227", "70"),
    ("lower", LOWER_BANDS, "1.10", "40"),
    ("lower", LOWER_BANDS, "1.2", "0"),
    ("higher", HIGHER_BANDS, "1", "0"),
    ("higher", HIGHER_BANDS, "2", "40"),
    ("higher", HIGHER_BANDS, "5", "70"),
    ("higher", HIGHER_BANDS, "9", "100"),
    ("higher", (("5", "60"), ("3", "90")), "6", "90"),  # the largest score reached, any order
])
def test_bands(direction, bands, actual, expected):
    criterion = crit(direction=direction, method="bands", target=None, floor=None, bands=bands)
    assert score(criterion, {"x": D(actual)}).score == D(expected)


# --- not rated -----------------------------------------------------------------------


def test_missing_measure_leaves_the_criterion_out_with_its_reason():
    measures = dict(WALLA_WALLA_MEASURES)
    del measures["seats"]
    rating = attain(WALLA_WALLA, measures)
    cost = rating.results[0]
    assert (cost.score, cost.actual, cost.note) == (None, None, "missing measure seats")
    assert cost.explanation == "desktop_spend / seats: not rated (missing measure seats)"
    assert rating.attainment == (D(2) * D(80) + D(100)) / D(3)


def test_division_by_zero_leaves_the_criterion_out():
    measures = dict(WALLA_WALLA_MEASURES, seats=D(0))
    assert attain(WALLA_WALLA, measures).results[0].note == "division by zero"


def test_missing_budget_is_missing_not_division_by_zero():
    measures = {k: v for k, v in ALTOONA_MEASURES.items() if k != "budget"}
    assert attain(ALTOONA, measures).results[2].note == "missing measure budget"


def test_nothing_rated_is_unrated():
    rating = attain(WALLA_WALLA, {})
    assert rating.attainment is None
    assert rating.band == "unrated"
    assert all(r.score is None for r in rating.results)


def test_an_invalid_criterion_is_not_rated_rather_than_crashing():
    result = score(crit(target="0", floor="1"), {"x": D(1)})
    assert result.score is None
    assert result.note.startswith("invalid criterion: target:")


# --- bands of attainment -------------------------------------------------------------


@pytest.mark.parametrize(("attainment", "band"), [
    ("100", "exceeds"), ("90", "exceeds"), ("89.9999", "meets"), ("70", "meets"),
    ("69.99", "watch"), ("50", "watch"), ("49.99", "below"), ("0", "below"), (None, "unrated"),
])
def test_band_of_uses_the_unrounded_attainment(attainment, band):
    assert band_of(None if attainment is None else D(attainment), BandThresholds()) == band


def test_band_thresholds_are_a_setting():
    strict = BandThresholds(exceeds=D(95), meets=D(85), watch=D(60))
    assert band_of(D(90), strict) == "meets"
    assert attain(WALLA_WALLA, WALLA_WALLA_MEASURES, strict).band == "watch"


# --- validation ----------------------------------------------------------------------


def errors_of(*criteria, unit="WW", effective_from="2026-03"):
    scorecard = Scorecard(unit=unit, effective_from=effective_from, criteria=criteria)
    return validate_scorecard(scorecard, None)[1]


@pytest.mark.parametrize(("criterion", "field", "message"), [
    (crit(floor=None), "floor", "is required for the linear method"),
    (crit(target=None), "target", "is required for the linear method"),
    (crit(target="1", floor="1"), "target", "must be above floor for a 'higher' criterion"),
    (crit(target="0", floor="1"), "target", "must be above floor for a 'higher' criterion"),
    (crit(direction="lower", target="1", floor="0"), "target",
     "must be below floor for a 'lower' criterion"),
    (crit(direction="lower", target="5", floor="5"), "target",
     "must be below floor for a 'lower' criterion"),
    (crit(method="binary", floor=None, target=None), "target",
     "is required for the binary method"),
    (crit(method="binary"), "floor", "is not used by the binary method"),
    (crit(method="bands", target=None, floor=None), "bands", "needs at least one band"),
    (crit(method="bands", target=None, floor=None, bands=(("1", "101"),)), "bands",
     "band 1: score must be between 0 and 100"),
    (crit(method="bands", target=None, floor=None, bands=(("1", "50"), ("2", "-1"))), "bands",
     "band 2: score must be between 0 and 100"),
    (crit(method="bands", target=None, floor=None, bands=(("1", "50"), ("1", "60"))), "bands",
     "band 2: another band is already at 1"),
    (crit(method="bands", floor=None, bands=(("1", "50"),)), "target",
     "is not used by the bands method"),
    (crit(bands=(("1", "50"),)), "bands", "is not used by the linear method"),
    (crit(weight="0"), "weight", "must be above 0"),
    (crit(weight="-1"), "weight", "must be above 0"),
    (crit(expr="seats >= 3"), "expr", "comparisons are not allowed"),
    (crit(expr="open('x')"), "expr", "function calls are not allowed (open)"),
    (crit(expr="desktop_spend /"), "expr", "syntax error (incomplete expression)"),
    (crit(key="Cost Per Seat"), "key", "must be a slug"),
    (crit(key=""), "key", "must be a slug"),
    (crit(label=" "), "label", "is required"),
    (crit(direction="up"), "direction", "must be 'higher' or 'lower'"),
    (crit(method="curve"), "method", "must be 'linear', 'binary' or 'bands'"),
])
def test_each_validation_rule_names_the_criterion_and_field(criterion, field, message):
    errors = errors_of(criterion)
    assert any(e.source == f"criterion {criterion.key}" and e.field == field
               and e.message.startswith(message) for e in errors), [str(e) for e in errors]


def test_the_error_text_reads_source_field_message():
    errors = errors_of(crit(key="csat", target="3", floor="4"))
    assert [str(e) for e in errors] == [
        "criterion csat: target: must be above floor for a 'higher' criterion"]
    assert errors == [RuleError(source="criterion csat", field="target",
                                message="must be above floor for a 'higher' criterion",
                                key="csat", position=1)]


def test_keys_must_be_unique():
    errors = errors_of(crit(key="a"), crit(key="a"))
    assert RuleError(source="criterion a", field="key", message="appears twice", key="a",
                     position=2) in errors


def test_scorecard_level_errors():
    errors = errors_of(unit="", effective_from="2026-13")
    fields = {(e.field, e.message) for e in errors}
    assert ("unit", "is required") in fields
    assert ("effective_from", "must be a period YYYY-MM") in fields
    assert ("criteria", "needs at least one criterion") in fields


def test_non_finite_numbers_are_refused():
    criterion = Criterion(key="c", label="C", expr="x", direction="higher", method="linear",
                          target=Decimal("NaN"), floor=D(0), weight=Decimal("Infinity"))
    fields = {e.field for e in errors_of(criterion)}
    assert {"target", "weight"} <= fields


def test_the_worked_examples_are_valid():
    assert validate_scorecard(WALLA_WALLA, set(WALLA_WALLA_MEASURES)) == ([], [])
    assert validate_scorecard(ALTOONA, set(ALTOONA_MEASURES)) == ([], [])


def test_unknown_measures_are_warnings_with_suggestions():
    scorecard = Scorecard(unit="ALT", effective_from="2026-03", criteria=(
        crit("csat", "reseacher_csat", target="4.5", floor="3.5"),
        crit("new", "brand_new_metric"),
    ))
    warnings, errors = validate_scorecard(scorecard, {"researcher_csat", "seats"})
    assert errors == []
    assert [str(w) for w in warnings] == [
        "criterion csat: expr: measure reseacher_csat has not been seen for unit ALT; "
        "did you mean researcher_csat?",
        "criterion new: expr: measure brand_new_metric has not been seen for unit ALT",
    ]
    assert validate_scorecard(scorecard, None)[0] == []


# --- the scorecard file --------------------------------------------------------------

ALTOONA_FILE = """{
  "unit": "ALT",
  "effective_from": "2026-01",
  "criteria": [
    {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
     "direction": "higher", "method": "linear", "target": 4.5, "floor": 3.5, "weight": 3},
    {"key": "on_budget", "label": "Spend within budget", "expr": "spend / budget",
     "direction": "lower", "method": "bands",
     "bands": [{"at": 1.00, "score": 100}, {"at": 1.05, "score": 70}, {"at": 1.10, "score": 40}],
     "weight": 1}
  ]
}"""


def test_reads_the_interfaces_example_exactly():
    scorecard, errors = scorecard_from_dict(json.loads(ALTOONA_FILE), "altoona.json")
    assert errors == []
    csat, on_budget = scorecard.criteria
    assert csat.target == Decimal("4.5") and csat.floor == Decimal("3.5")
    assert isinstance(csat.weight, Decimal)
    assert [b.at for b in on_budget.bands] == [D("1.0"), D("1.05"), D("1.1")]
    assert on_budget.target is None and on_budget.floor is None
    assert validate_scorecard(scorecard, None) == ([], [])


def test_numbers_may_be_strings_and_json_floats_stay_exact():
    data = json.loads(ALTOONA_FILE)
    data["criteria"][0]["target"] = "4.50"
    data["criteria"][0]["floor"] = 0.1
    scorecard, errors = scorecard_from_dict(data, "f.json")
    assert errors == []
    assert scorecard.criteria[0].target == D("4.50")
    assert scorecard.criteria[0].floor == D("0.1")  # not 0.1000000000000000055511151231257827


def test_round_trips_through_to_dict():
    for scorecard in (WALLA_WALLA, ALTOONA):
        data = json.loads(json.dumps(scorecard_to_dict(scorecard)))
        assert scorecard_from_dict(data, "x")[0] == scorecard
    assert "floor" not in scorecard_to_dict(WALLA_WALLA)["criteria"][2]


@pytest.mark.parametrize(("change", "source", "field", "message"), [
    (lambda d: d.update(owner="me"), "f.json", "owner", "is not a known field"),
    (lambda d: d.pop("unit"), "f.json", "unit", "is required"),
    (lambda d: d.update(criteria={}), "f.json", "criteria", "must be a list"),
    (lambda d: d["criteria"][0].update(colour="red"), "f.json: criterion csat", "colour",
     "is not a known field"),
    (lambda d: d["criteria"][0].pop("weight"), "f.json: criterion csat", "weight",
     "is required"),
    (lambda d: d["criteria"][0].pop("key"), "f.json: criterion 1", "key", "is required"),
    (lambda d: d["criteria"][0].update(target="high"), "f.json: criterion csat", "target",
     "must be a number"),
    (lambda d: d["criteria"][0].update(weight=True), "f.json: criterion csat", "weight",
     "must be a number"),
    (lambda d: d["criteria"][0].update(weight=None), "f.json: criterion csat", "weight",
     "must be a number"),
    (lambda d: d["criteria"][0].update(label=5), "f.json: criterion csat", "label",
     "must be text"),
    (lambda d: d["criteria"][1]["bands"][1].update(colour=1),
     "f.json: criterion on_budget band 2", "colour", "is not a known field"),
    (lambda d: d["criteria"][1]["bands"][0].pop("score"),
     "f.json: criterion on_budget band 1", "score", "is required"),
    (lambda d: d["criteria"][1]["bands"][2].update(at="NaN"),
     "f.json: criterion on_budget band 3", "at", "must be a number"),
    (lambda d: d["criteria"][1].update(bands="1.00"), "f.json: criterion on_budget", "bands",
     "must be a list"),
    (lambda d: d["criteria"].append(7), "f.json: criterion 3", "criterion",
     "must be an object"),
])
def test_file_errors_name_the_place_and_field(change, source, field, message):
    data = json.loads(ALTOONA_FILE)
    change(data)
    scorecard, errors = scorecard_from_dict(data, "f.json")
    assert scorecard is None
    assert (source, field, message) in [(e.source, e.field, e.message) for e in errors], [
        str(e) for e in errors]


@pytest.mark.parametrize(("change", "key", "position", "band"), [
    (lambda d: d["criteria"][0].update(colour="red"), "csat", 1, None),
    (lambda d: d["criteria"][0].pop("key"), None, 1, None),
    (lambda d: d["criteria"][1]["bands"][1].update(colour=1), "on_budget", 2, 2),
    (lambda d: d["criteria"].append(7), None, 3, None),
])
def test_file_errors_carry_the_criterion_and_band_as_data(change, key, position, band):
    """A form puts the error next to its field from these, never by reading the source."""
    data = json.loads(ALTOONA_FILE)
    change(data)
    _, errors = scorecard_from_dict(data, "f.json")
    assert [(e.key, e.position, e.band) for e in errors] == [(key, position, band)]


def test_validation_errors_carry_the_criterion_and_band_as_data():
    card = Scorecard(unit="ALT", effective_from="2026-01", criteria=(
        crit(key="csat"), crit(key="fast", method="bands", target=None, floor=None,
                               bands=(("1", "120"),))))
    _, errors = validate_scorecard(card, None)
    assert [(e.key, e.position, e.band, e.field) for e in errors] == [("fast", 2, 1, "bands")]


def test_a_file_that_is_not_an_object():
    assert scorecard_from_dict([], "f.json") == (
        None, [RuleError(source="f.json", field="scorecard", message="must be an object")])


# --- properties ----------------------------------------------------------------------

numbers = st.decimals(min_value=-10000, max_value=10000, places=3, allow_nan=False,
                      allow_infinity=False)


def random_criterion(draw, direction):
    method = draw(st.sampled_from(("linear", "binary", "bands")))
    if method == "linear":
        low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2, unique=True)))
        target, floor = (high, low) if direction == "higher" else (low, high)
        return Criterion(key="c", label="C", expr="x", direction=direction, method=method,
                         target=target, floor=floor, weight=D(1))
    if method == "binary":
        return Criterion(key="c", label="C", expr="x", direction=direction, method=method,
                         target=draw(numbers), weight=D(1))
    ats = draw(st.lists(numbers, min_size=1, max_size=5, unique=True))
    scores = draw(st.lists(st.integers(0, 100), min_size=len(ats), max_size=len(ats)))
    bands = tuple(Band(at=a, score=Decimal(s)) for a, s in zip(ats, scores, strict=True))
    return Criterion(key="c", label="C", expr="x", direction=direction, method=method,
                     bands=bands, weight=D(1))


@FAST
@given(data=st.data(), direction=st.sampled_from(("higher", "lower")),
       actuals=st.lists(numbers, min_size=2, max_size=2))
def test_scores_lie_in_0_100_and_move_the_right_way(data, direction, actuals):
    criterion = random_criterion(data.draw, direction)
    assert criterion_is_valid(criterion)
    low, high = sorted(actuals)
    s_low = score(criterion, {"x": low}).score
    s_high = score(criterion, {"x": high}).score
    assert D(0) <= s_low <= D(100) and D(0) <= s_high <= D(100)
    if direction == "higher":
        assert s_low <= s_high
    else:
        assert s_low >= s_high


def criterion_is_valid(criterion):
    scorecard = Scorecard(unit="U", effective_from="2026-01", criteria=(criterion,))
    return validate_scorecard(scorecard, None)[1] == []


@FAST
@given(rows=st.lists(st.tuples(
    st.decimals(min_value="0.1", max_value=10, places=1),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))),
    min_size=1, max_size=6))
def test_attainment_is_the_weighted_mean_of_rated_criteria(rows):
    criteria, measures = [], {}
    for number, (weight, value) in enumerate(rows):
        criteria.append(crit(key=f"c{number}", expr=f"m{number}", target="100", floor="0",
                             weight=str(weight)))
        if value is not None:
            measures[f"m{number}"] = value
    rating = attain(Scorecard(unit="U", effective_from="2026-01", criteria=tuple(criteria)),
                    measures)
    rated = [(w, v) for w, v in rows if v is not None]
    if not rated:
        assert rating.attainment is None and rating.band == "unrated"
        return
    expected = sum(w * v for w, v in rated) / sum(w for w, _ in rated)
    assert rating.attainment == expected
    assert min(v for _, v in rated) <= rating.attainment <= max(v for _, v in rated)
    assert rating.band == band_of(expected, BandThresholds())


def test_check_scorecard_reports_every_fault_at_once():
    """A field that does not read hides no other error, and repeats none of its own."""
    from rules.scoring import check_scorecard

    data = {"unit": "ALT", "effective_from": "May", "criteria": [
        {"key": "a", "label": "", "expr": "x +", "direction": "up", "method": "linear",
         "target": "lots", "floor": "1", "weight": "0"},
        "not an object",
        {"key": "a", "label": "A", "expr": "x", "direction": "higher", "method": "bands",
         "weight": "1", "bands": [{"at": "1", "score": "x"}]},
    ]}
    scorecard, warnings, errors = check_scorecard(data, "form", lambda unit: {"x"})
    found = {(e.position, e.band, e.field): e.message for e in errors}
    assert found[(None, None, "effective_from")] == "must be a period YYYY-MM"
    assert found[(1, None, "label")] == "is required"
    assert found[(1, None, "direction")] == "must be 'higher' or 'lower'"
    assert found[(1, None, "target")] == "must be a number"  # not also "is required"
    assert found[(1, None, "weight")] == "must be above 0"
    assert found[(1, None, "expr")].startswith("syntax error")
    assert found[(2, None, "criterion")] == "must be an object"
    assert [k for k in found if k[0] == 2] == [(2, None, "criterion")]
    assert found[(3, None, "key")] == "appears twice"
    assert found[(3, 1, "score")] == "must be a number"
    assert (3, None, "bands") not in found  # "needs at least one band" would only repeat it
    assert len(errors) == len(found) and warnings == []
    assert scorecard is not None and len(scorecard.criteria) == 3  # positions kept
    clean = dict(data, effective_from="2026-05", criteria=[data["criteria"][2] | {
        "bands": [{"at": "1", "score": "100"}]}])
    scorecard, warnings, errors = check_scorecard(clean, "form", lambda unit: set())
    assert errors == [] and [w.field for w in warnings] == ["expr"]
