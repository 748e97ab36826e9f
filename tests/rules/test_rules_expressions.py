"""expressions.py: arithmetic over measure names, and nothing else gets through."""

from decimal import Decimal

import pytest
import rule_engine
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expressions import _refusals, evaluate, parse, suggest
from rules.money import D


def value_of(expr, **measures):
    parsed, errors = parse(expr)
    assert errors == [], errors
    return evaluate(parsed, {name: D(v) for name, v in measures.items()})


@pytest.mark.parametrize(("expr", "names"), [
    ("desktop_spend / seats", ("desktop_spend", "seats")),
    ("-a * (b + 2.5)", ("a", "b")),
    ("a - b - a", ("a", "b")),
    ("(spend - budget) / budget", ("spend", "budget")),
    ("spend_pool_facilities / spend", ("spend_pool_facilities", "spend")),
    ("100", ()),
    ("x1_2", ("x1_2",)),
])
def test_accepts_arithmetic_over_names_and_numbers(expr, names):
    parsed, errors = parse(expr)
    assert errors == []
    assert parsed.order == names
    assert parsed.names == frozenset(names)


def test_evaluates_with_decimals():
    assert value_of("desktop_spend / seats", desktop_spend="50000", seats="1000") == (D(50), None)
    assert value_of("spend / budget", spend="90000", budget="88000")[0] == D(90000) / D(88000)
    assert value_of("-a * (b + 2.5)", a="2", b="0.5") == (D(-6), None)
    assert value_of("a - b - c", a="10", b="3", c="2") == (D(5), None)
    assert value_of("a / b * c", a="1", b="4", c="2") == (D("0.5"), None)
    value, _ = value_of("a + b", a="0.1", b="0.2")
    assert value == D("0.3") and isinstance(value, Decimal)


def test_missing_measure_names_the_first_missing_in_order_of_appearance():
    parsed, _ = parse("desktop_spend / seats + budget")
    assert evaluate(parsed, {"seats": D(1)}) == (None, "missing measure desktop_spend")
    assert evaluate(parsed, {"desktop_spend": D(1)}) == (None, "missing measure seats")
    assert evaluate(parsed, {"desktop_spend": D(1), "seats": None}) == (
        None, "missing measure seats")


@pytest.mark.parametrize("measures", [
    {"a": "1", "b": "0"}, {"a": "0", "b": "0"}, {"a": "-3", "b": "0.00"},
])
def test_division_by_zero_is_a_reason_not_an_exception(measures):
    assert value_of("a / b", **measures) == (None, "division by zero")


def test_division_by_zero_inside_a_larger_expression():
    assert value_of("1 + a / (b - b)", a="0", b="4") == (None, "division by zero")


@pytest.mark.parametrize(("expr", "message"), [
    ("sqrt(a)", "function calls are not allowed (sqrt)"),
    ("abs (a)", "function calls are not allowed (abs)"),
    ("__import__('os')", "function calls are not allowed (__import__)"),
    ("__import__", "'__import__' is not a measure name"),
    ("a.b", "attribute access is not allowed"),
    ("a.__class__", "attribute access is not allowed"),
    ("'text'", "quoted text is not allowed"),
    ('"a" + "b"', "quoted text is not allowed"),
    ("a > 1", "comparisons are not allowed"),
    ("a == b", "comparisons are not allowed"),
    ("a != b", "comparisons are not allowed"),
    ("a =~ b", "comparisons are not allowed"),
    ("$now", "built-in symbols ($name) are not allowed"),
    ("$pi * 2", "built-in symbols ($name) are not allowed"),
    ("a ** 2", "operator ** is not allowed"),
    ("2 ** 3", "operator ** is not allowed"),
    ("a // 2", "operator // is not allowed"),
    ("7 % 2", "operator % is not allowed"),
    ("a[0]", "indexing is not allowed"),
    ("{'a': 1}", "collections are not allowed"),
    ("a & b", "bitwise operators are not allowed"),
    ("a << 1", "bitwise operators are not allowed"),
    ("(a)*(b)//2", "operator // is not allowed"),
    ("a >= 1", "comparisons are not allowed"),
    ("a ? b : c", "conditional expressions are not allowed"),
    ("a ?? b", "conditional expressions are not allowed"),
    ("a # note", "comments are not allowed"),
    ("f(a, b)", "function calls are not allowed (f)"),
    ("a and b", "'and' is a reserved word, not a measure name"),
    ("not a", "'not' is a reserved word, not a measure name"),
    ("true", "'true' is a reserved word, not a measure name"),
    ("null", "'null' is a reserved word, not a measure name"),
    ("inf", "'inf' is a reserved word, not a measure name"),
    ("nan * 0", "'nan' is a reserved word, not a measure name"),
    ("1e3", "malformed number"),
    ("0x10", "malformed number"),
    (".5", "malformed number"),
    ("Seats", "'Seats' is not a measure name"),
    ("_a", "'_a' is not a measure name"),
    ("a\u00a0+ b", "unexpected character"),
    ("a +", "syntax error (incomplete expression)"),
    ("a b", "syntax error at 'b'"),
    ("()", "syntax error"),
    ("1 / 0", "division by zero: the divisor is always 0"),
    ("a / (2 - 2)", "division by zero: the divisor is always 0"),
    ("", "is empty"),
    ("   ", "is empty"),
])
def test_refuses_everything_but_arithmetic(expr, message):
    parsed, errors = parse(expr, source="criterion x")
    assert parsed is None
    assert errors and all(e.source == "criterion x" and e.field == "expr" for e in errors)
    assert any(message in e.message for e in errors), [str(e) for e in errors]


@pytest.mark.parametrize(("text", "word"), [
    ("a > 1", "a comparison"),
    ("a == b", "a comparison"),
    ("a and b", "and/or"),
    ('"x"', "quoted text"),
    ("true", "a true/false value"),
    ("null", "null"),
    ("not a", "UnaryExpression"),
    ("a % 2", "operator mod"),
    ("a ** 2", "operator pow"),
    ("a // 2", "operator fdiv"),
    ("$pi", "SymbolExpression"),
    ("A", "SymbolExpression"),
    ("a & 1", "BitwiseExpression"),
    ("[a]", "ArrayExpression"),
])
def test_the_tree_walk_refuses_on_its_own(text, word):
    """The third fence does not rely on the text scan: fed rule-engine's tree, it refuses."""
    context = rule_engine.Context(type_resolver=lambda _name: rule_engine.DataType.FLOAT)
    rule = rule_engine.Rule(text, context=context)
    problems = _refusals(rule.statement, [])
    assert problems and word in problems[0]


def test_suggest_offers_close_names():
    known = {"researcher_csat", "seats", "spend", "budget"}
    assert suggest("reseacher_csat", known) == ["researcher_csat"]
    assert suggest("seat", known)[0] == "seats"
    assert suggest("zzzz", known) == []


NAMES = ("a", "b", "c")


def trees(depth=3):
    leaves = st.sampled_from(NAMES) | st.decimals(
        min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
    if depth == 0:
        return leaves
    return leaves | st.tuples(st.sampled_from("+-*/"), trees(depth - 1), trees(depth - 1)) | \
        st.tuples(st.just("neg"), trees(depth - 1))


def render(tree):
    if isinstance(tree, str):
        return tree
    if isinstance(tree, Decimal):
        return format(tree, "f")
    if tree[0] == "neg":
        return f"-({render(tree[1])})"
    return f"({render(tree[1])} {tree[0]} {render(tree[2])})"


def compute(tree, values):
    if isinstance(tree, str):
        return values[tree]
    if isinstance(tree, Decimal):
        return tree
    if tree[0] == "neg":
        return -compute(tree[1], values)
    left, right = compute(tree[1], values), compute(tree[2], values)
    return {"+": left + right, "-": left - right, "*": left * right}[tree[0]] \
        if tree[0] != "/" else left / right


@settings(max_examples=80, deadline=None, database=None)
@given(tree=trees(), values=st.lists(
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False,
                allow_infinity=False), min_size=3, max_size=3))
def test_evaluation_matches_decimal_arithmetic(tree, values):
    measures = dict(zip(NAMES, values, strict=True))
    try:
        expected, reason = compute(tree, measures), None
    except ArithmeticError:  # ZeroDivisionError or InvalidOperation (0 / 0)
        expected, reason = None, "division by zero"
    parsed, errors = parse(render(tree))
    if errors:  # a constant division by zero is refused when parsing
        assert [e.message for e in errors] == ["division by zero: the divisor is always 0"]
        assert reason == "division by zero"
        return
    assert evaluate(parsed, measures) == (expected, reason)
