"""Issue 12's findings for the criterion language and the scorecard file, at the rules layer:
length before parsing, a nesting limit, a literal division by zero refused, numbers beyond
the decimal range refused before any arithmetic, a cap on criteria."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from rules.expressions import MAX_EXPRESSION_CHARS, evaluate, parse
from rules.scoring import scorecard_from_dict, validate_scorecard
from rules.vocabulary import is_period

CRITERION = {"key": "csat", "label": "Satisfaction", "expr": "csat", "direction": "higher",
             "method": "linear", "target": "4.5", "floor": "3.5", "weight": "1"}


def problems(expr: str) -> list[str]:
    return [e.message for e in parse(expr)[1]]


@pytest.mark.parametrize("expr", ["-" * 990 + "x", "-" * 40 + "x", " + ".join(["x"] * 499),
                                  "(" * 40 + "x" + ")" * 40, "x" + " * x" * 200])
def test_deep_or_long_chains_are_refused_without_a_recursion_error(expr):
    """A RecursionError on an expression of 990 unary minuses."""
    found = problems(expr)
    assert found and all(isinstance(p, str) for p in found)
    assert any("nested" in p or "operators" in p or "longer than" in p for p in found), found


def test_a_reasonable_expression_still_parses():
    expr = "((a + b) * (c - d) / (e + 1)) - -f + " + " + ".join(f"m{n}" for n in range(20))
    assert problems(expr) == []


def test_a_long_expression_is_refused_before_it_is_parsed():
    """A 1 MB expression was parsed for minutes before the 1,000-character limit applied."""
    expr = "x + " * 250_000 + "1"
    started = time.monotonic()
    assert problems(expr) == [f"longer than {MAX_EXPRESSION_CHARS} characters"]
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("expr", ["x / 0", "x / 0.000", "x / (2 - 2)", "x * 0 / 0",
                                  "(x + 1) / (3 * 0)", "x / -0"])
def test_a_division_by_a_literal_zero_is_refused(expr):
    assert problems(expr) == ["division by zero: the divisor is always 0"]


def test_a_division_by_a_measure_that_may_be_zero_is_fine():
    parsed, errors = parse("x / y")
    assert errors == []
    assert evaluate(parsed, {"x": Decimal(1), "y": Decimal(0)}) == (None, "division by zero")


@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "1e-999999999",
                                    "9" * 5000, Decimal("1e999999999"),
                                    pytest.param(10 ** 5000, id="int-of-5001-digits"),
                                    "1e40", "١٢"])
def test_numbers_beyond_range_are_errors_not_overflow(number):
    """``decimal.Overflow`` on an exponent beyond the decimal range."""
    data = {"unit": "ALT", "effective_from": "2026-05",
            "criteria": [{**CRITERION, "target": number}]}
    scorecard, errors = scorecard_from_dict(data, "file")
    assert scorecard is None
    assert [(e.field, e.position) for e in errors] == [("target", 1)]


def test_numbers_within_range_are_read_exactly():
    data = {"unit": "ALT", "effective_from": "2026-05",
            "criteria": [{**CRITERION, "target": "123456789012345678.123456", "floor": 3}]}
    scorecard, errors = scorecard_from_dict(data, "file")
    assert errors == []
    assert scorecard.criteria[0].target == Decimal("123456789012345678.123456")
    assert validate_scorecard(scorecard, None)[1] == []


def test_criteria_are_capped_before_they_are_read():
    criteria = [{**CRITERION, "key": f"c{n}", "expr": "x +" * 300} for n in range(20_000)]
    started = time.monotonic()
    scorecard, errors = scorecard_from_dict({"unit": "ALT", "effective_from": "2026-05",
                                             "criteria": criteria}, "file", max_criteria=50)
    assert time.monotonic() - started < 1
    assert scorecard is None
    assert [(e.field, e.message) for e in errors] == [
        ("criteria", "at most 50 criteria (this scorecard has 20000)")]


def test_bands_are_capped():
    bands = [{"at": n, "score": 50} for n in range(1000)]
    data = {"unit": "ALT", "effective_from": "2026-05", "criteria": [
        {**CRITERION, "method": "bands", "bands": bands, "target": None, "floor": None}]}
    scorecard, errors = scorecard_from_dict(data, "file")
    assert scorecard is None
    assert [(e.field, e.message) for e in errors] == [
        ("bands", "at most 20 bands (this criterion has 1000)")]


@pytest.mark.parametrize(("text", "ok"), [("1900-01", True), ("2999-12", True),
                                          ("1899-12", False), ("3000-01", False),
                                          ("0000-01", False), ("٢٠٢٦-٠١", False)])
def test_periods_are_those_the_database_keeps(text, ok):
    assert is_period(text) is ok
