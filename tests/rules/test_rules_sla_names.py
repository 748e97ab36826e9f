"""Service level names in criteria: ``sla.SERVICE.measure`` and
``sla.SERVICE.OFFERING.measure`` read as one measure each, and nothing about them opens a
way to Python (attribute access, calls, the placeholder symbols)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.expressions import evaluate, parse
from rules.vocabulary import is_sla_name, sla_name, sla_value_problem

D = Decimal
MEASURES = {"sla.ALT-HPC.availability": D("99.5"),
            "sla.ALT-HPC.priority.response_hours": D(3), "seats": D(10)}


@pytest.mark.parametrize(("expr", "value", "names"), [
    ("sla.ALT-HPC.availability", D("99.5"), ("sla.ALT-HPC.availability",)),
    ("sla.ALT-HPC.availability-1", D("98.5"), ("sla.ALT-HPC.availability",)),
    ("(sla.ALT-HPC.priority.response_hours + seats) / sla.ALT-HPC.priority.response_hours",
     D(13) / D(3), ("sla.ALT-HPC.priority.response_hours", "seats")),
    ("-sla.ALT-HPC.availability * 2", D("-199.0"), ("sla.ALT-HPC.availability",)),
])
def test_a_service_level_name_is_one_measure(expr, value, names):
    parsed, errors = parse(expr)
    assert errors == []
    assert parsed.order == names
    assert evaluate(parsed, MEASURES) == (value, None)


def test_a_missing_service_level_result_is_named():
    parsed, _ = parse("sla.ALT-HPC.standard.response_hours")
    assert evaluate(parsed, MEASURES) == (None,
                                          "missing measure sla.ALT-HPC.standard.response_hours")


@pytest.mark.parametrize("expr", [
    "sla.ALT-HPC", "sla.ALT-HPC.availability.__class__", "sla.ALT-HPC.a.b.c",
    "sla.ALT-HPC.availability()", "sla.ALT-HPC.Availability", "sla.-X.availability",
    "sla.ALT HPC.availability", "_sla_0", "_sla_0 + sla.X.y", "sla.X.y[0]",
    "sla.X.y.__globals__", "sla.X.y if 1 else 2", "sla.X.y == 1", "sla.X.y sla.X.y",
    "sla.X.y ** 2", "sla.X.y.__dict__['a']",
])
def test_anything_else_with_sla_is_refused(expr):
    parsed, errors = parse(expr)
    assert parsed is None and errors


def test_a_refusal_names_what_was_typed_not_the_placeholder():
    _, errors = parse("sla.X.y sla.X.y")
    assert errors[0].message == "syntax error at 'sla.X.y'"


def test_names_are_made_only_for_codes_a_criterion_can_hold():
    assert sla_name("ALT-HPC", None, "availability") == "sla.ALT-HPC.availability"
    assert sla_name("ALT-HPC", "", "availability") == "sla.ALT-HPC.availability"
    assert sla_name("ALT-HPC", "priority", "x") == "sla.ALT-HPC.priority.x"
    assert sla_name("ALT.HPC", None, "x") is None and sla_name("ALT-", None, "x") is None
    assert is_sla_name("sla.ALT-HPC.priority.x") and not is_sla_name("sla.ALT-HPC")


def test_a_service_level_name_is_described_for_the_measure_picker():
    from rules.measures import describe_measure

    assert describe_measure("sla.ALT-HPC.priority.response_hours", "USD") == (
        "Service level response hours of ALT-HPC's priority offering (sla_results import)",
        "hours")
    assert describe_measure("sla.ALT-HPC.availability", "USD")[0] == (
        "Service level availability of ALT-HPC as a whole (sla_results import)")


@pytest.mark.parametrize(("measure", "value", "refused"), [
    ("availability", "100", False), ("availability", "0", False),
    ("availability", "100.001", True), ("availability", "-5", True),
    ("on_time_pct", "140", True), ("on_time_pct", "62", False),
    ("response_hours", "-0.5", True), ("restore_minutes", "0", False),
    ("response_hours", "400", False), ("net_score", "-40", False),
])
def test_a_measure_name_bounds_its_values(measure, value, refused):
    problem = sla_value_problem(measure, Decimal(value))
    assert (problem is not None) is refused, problem
