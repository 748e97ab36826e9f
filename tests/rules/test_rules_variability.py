"""Customer-introduced variability in the rules layer: the templates' proposals, a unit's
statement over them, the checks of a statement, which services a comparison tells apart,
and the sentences, worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules import variability as rv


def test_the_templates_propose_the_usual_stance():
    assert rv.proposal("operational_excellence") == dict.fromkeys(rv.KINDS, "reduce")
    assert rv.proposal("customer_intimacy") == dict.fromkeys(rv.KINDS, "accommodate")
    new_capability = {"arrival": "reduce", "request": "accommodate", "capability": "reduce",
                      "effort": "reduce", "subjective_preference": "accommodate"}
    assert rv.proposal("product_leadership") == new_capability
    assert rv.proposal("venture") == new_capability
    assert rv.proposal("a_model_the_holding_added") == {}


def test_a_statement_wins_over_the_proposal_and_says_so():
    found = rv.effective({"request": ("reduce", "three standard images")},
                         "customer_intimacy")
    assert found["request"] == rv.Stance(kind="request", stance="reduce",
                                         note="three standard images", source="stated")
    assert not found["request"].proposed
    assert [(k, s.stance, s.source) for k, s in found.items() if k != "request"] == [
        ("arrival", "accommodate", "template"), ("capability", "accommodate", "template"),
        ("effort", "accommodate", "template"),
        ("subjective_preference", "accommodate", "template")]
    # a model without a template's proposal: only what the unit stated
    assert list(rv.effective({"effort": ("reduce", "")}, "own_model")) == ["effort"]
    assert rv.effective({"effort": ("reduce", "")}, "own_model")["effort"].note is None


@pytest.mark.parametrize(("kind", "stance", "note", "expected"), [
    ("request", "reduce", "three standard images", []),
    ("request", "accommodate", None, []),
    ("requests", "reduce", None, [("kind", "unknown kind of variability 'requests' "
                                           "(kinds: arrival, request, capability, effort, "
                                           "subjective_preference)")]),
    ("request", "tolerate", None, [("stance", "'tolerate' is not a stance: write reduce or "
                                              "accommodate")]),
    ("request", "reduce", "x" * 201, [("note", "at most 200 characters (this one has 201)")]),
    ("request", "reduce", "two\nlines", [("note", "one line of text, without control "
                                                  "characters")]),
    ("request", "reduce", 5, [("note", "a note is text")]),
])
def test_problems_name_the_field(kind, stance, note, expected):
    assert rv.problems(kind, stance, note) == expected


def test_pick_pair_prefers_like_for_like_then_what_recovered_most():
    alt = [("ALT-CONS", "project-hour"), ("ALT-HPC", "core-hour"), ("ALT-WS", "seat-month")]
    lab = [("LAB-PROTO", "project-hour"), ("LAB-SBX", "core-hour")]
    recovered = {"ALT-CONS": Decimal(100), "ALT-HPC": Decimal(900), "ALT-WS": Decimal(5000),
                 "LAB-PROTO": Decimal(700), "LAB-SBX": Decimal(50)}
    # project-hour 100 + 700 = 800 < core-hour 900 + 50 = 950
    assert rv.pick_pair(alt, lab, recovered) == ("ALT-HPC", "LAB-SBX")
    # no unit of measure in common: each unit's main service
    assert rv.pick_pair([("ALT-WS", "seat-month")], lab, recovered) == ("ALT-WS", "LAB-PROTO")
    # nothing recovered: the first codes
    assert rv.pick_pair(alt, lab, {}) == ("ALT-CONS", "LAB-PROTO")
    assert rv.pick_pair([], lab, recovered) is None


def _side(unit, code, name, stances, **cost):
    return rv.ServiceStances(unit=unit, code=code, name=name, stances=stances, **cost)


ALT_DESK = _side("ALT", "ALT-DESK", "Research desktops", {
    **rv.effective({"request": ("accommodate", "any software a researcher asks for")},
                   "customer_intimacy")})
WW_DESK = _side("WW", "WW-DESK", "Plant desktops", rv.effective(
    {"request": ("reduce", "three standard images"), "arrival": ("reduce", None),
     "capability": ("reduce", None), "effort": ("reduce", None),
     "subjective_preference": ("reduce", None)}, "operational_excellence"))


def costed(side, uom, spend, quantity):
    return rv.ServiceStances(unit=side.unit, code=side.code, name=side.name,
                             stances=side.stances, uom=uom, spend=Decimal(spend),
                             quantity=None if quantity is None else Decimal(quantity))


def test_contrast_tells_each_kind_and_what_it_says_of_the_cost_of_a_seat():
    # ALT: 90,600.00 over 100 seat-months = 906.00 a seat-month; WW: 50,000.00 over 200 =
    # 250.00: a seat-month costs more at ALT, which accommodates what WW reduces
    alt, ww = costed(ALT_DESK, "seat-month", "90600.00", "100"), costed(
        WW_DESK, "seat-month", "50000.00", "200")
    assert (alt.cost_per_unit, ww.cost_per_unit) == (Decimal("906.0000"), Decimal("250.0000"))
    assert rv.contrast(alt, ww) == (
        "ALT accommodates request variability on Research desktops (ALT-DESK: any software "
        "a researcher asks for); WW reduces it on Plant desktops (WW-DESK: three standard "
        "images).",
        "ALT accommodates arrival, capability, effort and subjective preference variability "
        "on Research desktops (ALT-DESK; as its template proposes, not stated by ALT); WW "
        "reduces them on Plant desktops (WW-DESK).",
        "Accommodating variability costs more to serve than reducing it, which is part of "
        "why a seat-month costs more at ALT (906.00) than at WW (250.00): ALT accommodates "
        "arrival, request, capability, effort and subjective preference variability where "
        "WW reduces it.")


def test_the_cost_of_a_seat_decides_not_the_total_spend():
    # the demo's DEC and WW in 2026-10: WW spends more in total (it is the bigger unit),
    # yet a seat-month costs more at DEC, the one that accommodates arrival variability.
    # DEC: 1,309.43 over 10 seat-months = 130.943; WW: 2,494.41 over 20 = 124.7205
    dec = _side("DEC", "DEC-DESK", "Plant desktop support", {
        **rv.effective({"arrival": ("accommodate", "a walk-up desk on every shift")},
                       "operational_excellence")}, uom="seat-month",
        spend=Decimal("1309.43"), quantity=Decimal(10))
    ww = costed(WW_DESK, "seat-month", "2494.41", "20")
    assert (dec.cost_per_unit, ww.cost_per_unit) == (Decimal("130.9430"), Decimal("124.7205"))
    said = rv.contrast(dec, ww)
    assert said[-1] == (
        "Accommodating variability costs more to serve than reducing it, which is part of "
        "why a seat-month costs more at DEC (130.943) than at WW (124.7205): DEC "
        "accommodates arrival variability where WW reduces it.")
    assert not any("spends more" in s for s in said)
    # the reducer costs more a seat: 1,000.00 over 1 seat-month at WW, 906.00 at ALT
    dear_ww = costed(WW_DESK, "seat-month", "1000.00", "1")
    assert rv.contrast(costed(ALT_DESK, "seat-month", "90600.00", "100"), dear_ww)[-1] == (
        "A seat-month costs more at WW (1,000.00) than at ALT (906.00) although WW reduces "
        "the variability ALT accommodates, so the difference in cost is not one of "
        "variability.")
    # the same cost a seat: 500.00 over 2 and 250.00 over 1
    assert rv.contrast(costed(ALT_DESK, "seat-month", "500", "2"),
                       costed(WW_DESK, "seat-month", "250", "1"))[-1] == (
        "A seat-month costs the same at ALT and WW (250.00), so their different stances on "
        "variability make no difference of cost.")


def test_no_cause_is_claimed_without_a_like_for_like_cost():
    # different units of measure: sizes differ, nothing is put down to variability,
    # whichever spends more in total
    said = rv.contrast(costed(ALT_DESK, "project-hour", "90600.00", "100"),
                       costed(WW_DESK, "seat-month", "50000.00", "200"))
    assert said[-1] == (
        "ALT-DESK and WW-DESK are measured in different units (project-hour, seat-month), so "
        "no cost of one unit of service is compared, and the difference in spend, which may "
        "be one of size, is not put down to variability.")
    # one seat-month but ALT-DESK is not ALT's main service (no quantity put down to it)
    said = rv.contrast(costed(ALT_DESK, "seat-month", "90600.00", None),
                       costed(WW_DESK, "seat-month", "50000.00", "200"))
    assert said[-1].startswith("ALT-DESK and WW-DESK are not both their units' main service")
    assert not any("spends more" in s or "part of why" in s for s in said)


def test_contrast_when_nothing_differs_or_nothing_is_stated():
    same = _side("DEC", "DEC-DESK", "Plant desktops", rv.effective({}, "operational_excellence"))
    assert rv.contrast(WW_DESK, same) == (
        "WW and DEC take the same stance on every kind of customer-introduced variability "
        "on Plant desktops (WW-DESK) and Plant desktops (DEC-DESK), so their difference in "
        "spend is not one of variability.",)
    bare = _side("OWN", "OWN-1", "Own service", {})
    assert rv.contrast(bare, WW_DESK) == (
        "OWN states no stance on customer-introduced variability for Own service (OWN-1), and "
        "its service model's template proposes none.",)
