"""rollup.py: money by plain sums with eliminations, attainment against each unit's own
scorecard (scoring.md "Rolling up without one yardstick", allocation.md "Cascade")."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.model import RollupNode
from rules.money import D, one_decimal
from rules.rollup import checked_tree_order, roll_up
from rules.scoring import band_of

WW_ATTAINMENT = D(485) / D(6)  # 80.8333...


def node(code, parent=None, spend="0", budget=None, charged="0", attainment=None, band=None):
    value = None if attainment is None else (
        attainment if isinstance(attainment, Decimal) else D(attainment))
    return RollupNode(code=code, parent=parent, spend=D(spend),
                      budget=None if budget is None else D(budget), charged=D(charged),
                      attainment=value, band=band or band_of(value))


def rows_by_code(nodes, internal=()):
    rows, errors = roll_up(nodes, internal)
    assert errors == []
    return {row.code: row for row in rows}


def test_the_worked_example_group_attainment_is_84_8():
    rows = rows_by_code([
        node("GRP"),
        node("WW", "GRP", spend="50000", attainment=WW_ATTAINMENT),
        node("ALT", "GRP", spend="90000", attainment="87"),
    ])
    group = rows["GRP"]
    expected = (D(50000) * WW_ATTAINMENT + D(90000) * D(87)) / D(140000)
    assert abs(group.attainment - expected) < D("1e-24")
    assert str(group.attainment).startswith("84.797619047619")
    assert one_decimal(group.attainment) == D("84.8")
    assert group.band == "meets"
    assert group.spend == D(140000)
    assert group.band_counts == {"exceeds": 0, "meets": 2, "watch": 0, "below": 0,
                                 "unrated": 1}
    assert rows["WW"].attainment == WW_ATTAINMENT  # a leaf keeps its own, digit for digit


def test_a_group_with_its_own_scorecard_counts_itself():
    rows = rows_by_code([node("GRP", spend="10000", attainment="40"),
                         node("WW", "GRP", spend="30000", attainment="80")])
    assert rows["GRP"].attainment == D(70)
    assert rows["GRP"].band_counts["below"] == 1


def test_zero_spend_falls_back_to_the_plain_mean():
    rows = rows_by_code([node("GRP"), node("A", "GRP", attainment="60"),
                         node("B", "GRP", attainment="90")])
    assert rows["GRP"].attainment == D(75)


def test_unrated_units_are_left_out_and_nothing_rated_is_unrated():
    rows = rows_by_code([node("GRP"), node("A", "GRP", spend="500", attainment="60"),
                         node("B", "GRP", spend="1000")])
    assert rows["GRP"].attainment == D(60)
    empty = rows_by_code([node("GRP"), node("B", "GRP", spend="1000")])
    assert empty["GRP"].attainment is None and empty["GRP"].band == "unrated"


def test_money_sums_and_budget_sums_what_is_given():
    rows = rows_by_code([node("GRP", spend="10", charged="1"),
                         node("A", "GRP", spend="20", budget="25", charged="2"),
                         node("B", "GRP", spend="30", charged="3")])
    group = rows["GRP"]
    assert (group.spend, group.charged, group.budget, group.eliminated) == (
        D(60), D(6), D(25), D(0))
    assert group.recovery_pct == D(10)
    assert rows["B"].budget is None


def test_internal_charges_are_eliminated_where_both_ends_sit():
    #        HQ
    #     /      \
    #   DC      EAST
    #          /    \
    #        WW      ALT
    nodes = [
        node("HQ"),
        node("DC", "HQ", spend="1000", charged="1000"),
        node("EAST", "HQ"),
        node("WW", "EAST", spend="600", charged="500"),      # 400 external + 200 from DC
        node("ALT", "EAST", spend="900", charged="900"),     # 100 external + 800 from DC + WW
    ]
    internal = [("DC", "WW", D(200)), ("DC", "ALT", D(700)), ("WW", "ALT", D(100))]
    rows = rows_by_code(nodes, internal)
    assert rows["WW"].spend == D(600)  # a unit's own row still shows its internal spend
    assert rows["EAST"].eliminated == D(100)  # only WW -> ALT lies inside EAST
    assert rows["EAST"].spend == D(1400)
    assert rows["EAST"].charged == D(1300)
    assert rows["HQ"].eliminated == D(1000)
    assert rows["HQ"].spend == D(1500)  # the external dollars, each once
    assert rows["HQ"].charged == D(1400)


def test_tree_order_is_depth_first_with_children_by_code():
    nodes = [node("Z", "HQ"), node("HQ"), node("B", "HQ"), node("B2", "B"), node("B1", "B"),
             node("AAA")]
    order, errors = checked_tree_order(nodes)
    assert errors == []
    assert order == [("AAA", 0), ("HQ", 0), ("B", 1), ("B1", 2), ("B2", 2), ("Z", 1)]
    rows, _ = roll_up(nodes, [])
    assert [(r.code, r.depth, r.parent) for r in rows][:3] == [
        ("AAA", 0, None), ("HQ", 0, None), ("B", 1, "HQ")]


@pytest.mark.parametrize(("nodes", "internal", "message"), [
    ([node("A"), node("A")], [], "unit A: code: appears more than once"),
    ([node("A", "NOPE")], [], "unit A: parent: unknown parent NOPE"),
    ([node("R"), node("A", "B"), node("B", "A")], [],
     "unit A: parent: its parents go round in a circle, never reaching a root"),
    ([node("A")], [("A", "Q", D(1))], "internal charge A -> Q: unit: names a unit outside"),
    ([node("A", band="great")], [], "unit A: band: unknown band great"),
])
def test_tree_errors(nodes, internal, message):
    rows, errors = roll_up(nodes, internal)
    assert rows == ()
    assert any(str(e).startswith(message) for e in errors), [str(e) for e in errors]


@st.composite
def trees(draw):
    count = draw(st.integers(1, 12))
    nodes = []
    for i in range(count):
        rated = draw(st.booleans())
        attainment = draw(st.decimals(min_value=0, max_value=100, places=3)) if rated else None
        nodes.append(node(f"U{i:02d}", None if i == 0 else f"U{draw(st.integers(0, i - 1)):02d}",
                          spend=str(draw(st.integers(0, 10**6))), attainment=attainment))
    return nodes


@settings(max_examples=100, deadline=None, database=None)
@given(nodes=trees())
def test_group_attainment_is_the_spend_weighted_mean_of_its_subtree(nodes):
    rows = rows_by_code(nodes)
    children = {}
    for n in nodes:
        children.setdefault(n.parent, []).append(n.code)
    by_code = {n.code: n for n in nodes}

    def subtree(code):
        return [by_code[code]] + [m for c in children.get(code, []) for m in subtree(c)]

    for code, row in rows.items():
        members = subtree(code)
        rated = [m for m in members if m.attainment is not None]
        assert row.spend == sum(m.spend for m in members)
        assert sum(row.band_counts.values()) == len(members)
        if not rated:
            assert row.attainment is None
            continue
        weight = sum(m.spend for m in rated)
        expected = (sum(m.spend * m.attainment for m in rated) / weight if weight
                    else sum(m.attainment for m in rated) / len(rated))
        assert abs(row.attainment - expected) < D("1e-20")
        assert min(m.attainment for m in rated) <= row.attainment <= max(
            m.attainment for m in rated)
        assert row.band == band_of(row.attainment)
