"""measures.py: the ledger measures of scoring.md "Measure"."""

from rules.measures import ledger_measures, measure_suffix
from rules.money import D


def test_spend_budget_charged_and_one_measure_per_pool_and_tower():
    measures = ledger_measures(
        {"facilities": D("300.00"), "hw": D("700.00"), "internal": D("50.00")},
        {"End-User": D("900.00")}, D("1200.00"), D("1000.00"))
    assert measures == {
        "spend": D("1050.00"), "budget": D("1200.00"), "charged": D("1000.00"),
        "spend_pool_facilities": D("300.00"), "spend_pool_hw": D("700.00"),
        "spend_pool_internal": D("50.00"), "spend_tower_end_user": D("900.00"),
    }


def test_no_budget_row_means_no_budget_measure_and_no_spend_means_zero():
    measures = ledger_measures({}, {}, None, D(0))
    assert measures == {"spend": D(0), "charged": D(0)}


def test_codes_seen_elsewhere_in_the_ledger_are_zero_for_this_unit():
    measures = ledger_measures({"hw": D(5)}, {}, None, D(0),
                               known_pools=["hw", "Innovation"], known_towers=["DC"])
    assert measures["spend_pool_innovation"] == D(0)
    assert measures["spend_tower_dc"] == D(0)
    assert measures["spend_pool_hw"] == D(5)


def test_codes_are_normalised_to_the_measure_alphabet():
    assert measure_suffix("Facilities") == "facilities"
    assert measure_suffix("End-User Services") == "end_user_services"
    assert measure_suffix("Café") == "caf_"
    measures = ledger_measures({"DC-1": D(1), "dc_1": D(2)}, {}, None, D(0))
    assert measures["spend_pool_dc_1"] == D(3)
