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


def node(code, parent=None, spend="0", budget=None, charged="0", attainment=None, band=None,
         showback=False):
    value = None if attainment is None else (
        attainment if isinstance(attainment, Decimal) else D(attainment))
    return RollupNode(code=code, parent=parent, spend=D(spend),
                      budget=None if budget is None else D(budget), charged=D(charged),
                      attainment=value, band=band or band_of(value), showback=showback)


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


def test_money_sums_and_a_unit_without_budget_leaves_its_groups_without_one():
    rows = rows_by_code([node("HQ", spend="5", budget="5"),
                         node("GRP", "HQ", spend="10", budget="8", charged="1"),
                         node("A", "GRP", spend="20", budget="25", charged="2"),
                         node("B", "GRP", spend="30", charged="3"),
                         node("C", "HQ", spend="7", budget="9")])
    group = rows["GRP"]
    assert (group.spend, group.charged, group.budget, group.eliminated) == (
        D(60), D(6), None, D(0))
    assert group.recovery_pct == D(10)
    assert group.variance is None
    assert group.without_budget == ("B",)
    assert rows["HQ"].budget is None and rows["HQ"].without_budget == ("B",)
    assert rows["B"].budget is None and rows["B"].without_budget == ("B",)
    assert (rows["A"].budget, rows["A"].variance) == (D(25), D(-5))
    assert (rows["C"].budget, rows["C"].variance, rows["C"].without_budget) == (D(9), D(-2), ())


def test_budget_is_eliminated_like_spend_so_the_basis_is_like_for_like():
    # The 2026-10 case in small: DC sells 300 to ALT; ALT budgets for it. Summing
    # budgets plainly would compare 1,400 of budget against 1,200 of eliminated spend.
    rows = rows_by_code([
        node("HQ", spend="100", budget="100"),
        node("DC", "HQ", spend="500", budget="450", charged="300"),
        node("ALT", "HQ", spend="600", budget="850", charged="0"),  # 300 of it from DC
    ], [("DC", "ALT", D(300))])
    hq = rows["HQ"]
    assert hq.spend == D(900)
    assert hq.budget == D(1100)  # 100 + 450 + 850 - 300
    own = {"HQ": D(0), "DC": D(50), "ALT": D(-250)}  # each unit's spend - budget
    assert hq.variance == D(-200) == sum(own.values())
    assert {c: rows[c].variance for c in ("DC", "ALT")} == {"DC": D(50), "ALT": D(-250)}


def test_showback_is_the_part_of_charged_computed_by_showback_units():
    rows = rows_by_code([
        node("HQ"),
        node("LAB", "HQ", spend="400", charged="350", showback=True),  # 100 of it to DC
        node("DC", "HQ", spend="900", charged="900"),
        node("OUT", spend="10", charged="10", showback=True),
    ], [("LAB", "DC", D(100)), ("DC", "LAB", D(50))])
    assert rows["LAB"].showback == D(350) and rows["DC"].showback == D(0)
    assert rows["HQ"].charged == D(1100)  # 1,250 - 150 internal
    assert rows["HQ"].showback == D(250)  # LAB's 350 less its 100 to DC, eliminated
    assert rows["OUT"].showback == D(10)


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


@st.composite
def budgeted_trees(draw):
    """Random trees where every unit has a budget, and internal charges between any two."""
    count = draw(st.integers(1, 12))
    cents = st.integers(0, 10**8).map(lambda n: D(n) / 100)
    nodes = [RollupNode(code=f"U{i:02d}",
                        parent=None if i == 0 else f"U{draw(st.integers(0, i - 1)):02d}",
                        spend=draw(cents), budget=draw(cents), charged=draw(cents),
                        attainment=None, band="unrated", showback=draw(st.booleans()))
             for i in range(count)]
    internal = [(f"U{draw(st.integers(0, count - 1)):02d}",
                 f"U{draw(st.integers(0, count - 1)):02d}", draw(cents))
                for _ in range(draw(st.integers(0, 8)))]
    return nodes, [(a, b, amount) for a, b, amount in internal if a != b]


@settings(max_examples=200, deadline=None, database=None)
@given(tree=budgeted_trees())
def test_a_groups_variance_is_exactly_the_sum_of_its_units_variances(tree):
    nodes, internal = tree
    rows = rows_by_code(nodes, internal)
    children = {}
    for n in nodes:
        children.setdefault(n.parent, []).append(n.code)

    def subtree(code):
        return [code] + [m for c in children.get(code, []) for m in subtree(c)]

    for code, row in rows.items():
        members = subtree(code)
        own_variances = sum((n.spend - n.budget for n in nodes if n.code in members), D(0))
        assert row.variance == own_variances
        assert row.variance.as_tuple().exponent >= -2  # to the cent, nothing rounded
        assert row.spend - row.budget == (
            sum(n.spend for n in nodes if n.code in members) - row.eliminated
            - (sum(n.budget for n in nodes if n.code in members) - row.eliminated))


@settings(max_examples=100, deadline=None, database=None)
@given(tree=budgeted_trees(), data=st.data())
def test_one_unit_without_budget_empties_the_budget_of_every_group_above_it(tree, data):
    nodes, internal = tree
    missing = data.draw(st.sampled_from([n.code for n in nodes]))
    nodes = [RollupNode(**{**{f: getattr(n, f) for f in n.__dataclass_fields__},
                           "budget": None}) if n.code == missing else n for n in nodes]
    rows = rows_by_code(nodes, internal)
    parent = {n.code: n.parent for n in nodes}
    above = set()
    code = missing
    while code is not None:
        above.add(code)
        code = parent[code]
    for code, row in rows.items():
        if code in above:
            assert row.budget is None and row.variance is None
            assert missing in row.without_budget
        else:
            assert row.budget is not None and row.without_budget == ()
