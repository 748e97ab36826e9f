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


def _side(unit, code, name, stances):
    return rv.ServiceStances(unit=unit, code=code, name=name, stances=stances)


ALT_DESK = _side("ALT", "ALT-DESK", "Research desktops", {
    **rv.effective({"request": ("accommodate", "any software a researcher asks for")},
                   "customer_intimacy")})
WW_DESK = _side("WW", "WW-DESK", "Plant desktops", rv.effective(
    {"request": ("reduce", "three standard images"), "arrival": ("reduce", None),
     "capability": ("reduce", None), "effort": ("reduce", None),
     "subjective_preference": ("reduce", None)}, "operational_excellence"))


def test_contrast_tells_each_kind_and_what_it_says_of_the_spend():
    assert rv.contrast(ALT_DESK, WW_DESK, spends_more="ALT") == (
        "ALT accommodates request variability on Research desktops (ALT-DESK: any software "
        "a researcher asks for); WW reduces it on Plant desktops (WW-DESK: three standard "
        "images).",
        "ALT accommodates arrival, capability, effort and subjective preference variability "
        "on Research desktops (ALT-DESK; as its template proposes, not stated by ALT); WW "
        "reduces them on Plant desktops (WW-DESK).",
        "Accommodating variability costs more to serve than reducing it, which is part of "
        "why ALT spends more: it accommodates arrival, request, capability, effort and "
        "subjective preference variability where WW reduces it.")


def test_contrast_when_the_reducer_spends_more_or_nothing_differs():
    said = rv.contrast(ALT_DESK, WW_DESK, spends_more="WW")
    assert said[-1] == ("WW spends more although it reduces the variability ALT "
                        "accommodates, so the difference in spend is not one of variability.")
    assert len(rv.contrast(ALT_DESK, WW_DESK)) == 2  # no spend given: no cost sentence
    same = _side("DEC", "DEC-DESK", "Plant desktops", rv.effective({}, "operational_excellence"))
    assert rv.contrast(WW_DESK, same, spends_more="WW") == (
        "WW and DEC take the same stance on every kind of customer-introduced variability "
        "on Plant desktops (WW-DESK) and Plant desktops (DEC-DESK), so their difference in "
        "spend is not one of variability.",)
    bare = _side("OWN", "OWN-1", "Own service", {})
    assert rv.contrast(bare, WW_DESK) == (
        "OWN states no stance on customer-introduced variability for Own service (OWN-1), and "
        "its service model's template proposes none.",)
