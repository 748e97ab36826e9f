"""allocation.py: rated usage, driver and fixed splits to the cent, the cascade, the
errors that stop a close, conservation and the journal (allocation.md)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.allocation import (
    aggregate_usage,
    allocate,
    build_journal,
    check_conservation,
    check_journal_balance,
    dependency_order,
    rate_usage,
    split_fixed,
    split_largest_remainder,
)
from rules.model import (
    AllocationRule,
    Consumer,
    JournalLine,
    RollupNode,
    RuleError,
    Service,
    UnitLedger,
    UsageLine,
)
from rules.money import CENT, ZERO, D
from rules.rollup import roll_up

PERIOD = "2026-03"


def unit(code, spend=None, rules=(), mode="chargeback", account="4000"):
    return UnitLedger(code=code, billing_mode=mode, recovery_account=account,
                      spend_by_pool={k: D(v) for k, v in (spend or {}).items()}, rules=rules)


def consumer(code, unit_code=None, gl="6000"):
    return Consumer(code=code, gl_account=gl, unit=unit_code)


def driver_rule(pool, driver="headcount", consumers=()):
    return AllocationRule(pool=pool, method="driver", driver=driver, consumers=consumers)


def fixed_rule(pool, **splits):
    return AllocationRule(pool=pool, method="fixed",
                          splits=tuple((k, D(v)) for k, v in splits.items()))


def run(units, consumers, services=(), prices=None, usage=(), drivers=None):
    return allocate(PERIOD, units, consumers, services,
                    {k: D(v) for k, v in (prices or {}).items()}, usage,
                    {k: D(v) for k, v in (drivers or {}).items()})


def amounts(result, unit_code=None):
    return {(c.unit, c.consumer): c.amount for c in result.charges
            if unit_code is None or c.unit == unit_code}


LABS = [consumer("A", gl="7001"), consumer("B", gl="7002"), consumer("C", gl="7003")]
HEADCOUNT = {("headcount", "A"): "1", ("headcount", "B"): "1", ("headcount", "C"): "1"}


# --- largest remainder ---------------------------------------------------------------


def test_the_spec_example_100_over_1_1_1():
    shares = split_largest_remainder(D("100.00"), {"A": D(1), "B": D(1), "C": D(1)})
    assert shares == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33")}


def test_ties_go_to_the_lower_code_whatever_the_input_order():
    shares = split_largest_remainder(D("100.00"), {"C": D(1), "B": D(1), "A": D(1)})
    assert shares == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33")}


def test_leftover_cents_go_to_the_largest_remainders():
    # exact shares 0.0181..., 0.0363..., 0.0454...: floors 0.01, 0.03, 0.04; one cent left,
    # remainders 0.0081, 0.0063, 0.0054 -> A
    shares = split_largest_remainder(D("0.10"), {"A": D("0.2"), "B": D("0.4"), "C": D("0.5")})
    assert shares == {"A": D("0.02"), "B": D("0.04"), "C": D("0.04")}
    assert sum(shares.values()) == D("0.10")


def test_a_negative_amount_is_split_on_its_absolute_value_then_signed():
    shares = split_largest_remainder(D("-100.00"), {"A": D(1), "B": D(1), "C": D(1)})
    assert shares == {"A": D("-33.34"), "B": D("-33.33"), "C": D("-33.33")}


def test_trailing_zeros_and_decimal_weights_change_nothing():
    shares = split_largest_remainder(D("1.000"), {"A": D("2.50"), "B": D("7.5"), "C": D("1E+1")})
    assert shares == {"A": D("0.13"), "B": D("0.37"), "C": D("0.50")}


def test_zero_weight_gets_nothing_and_zero_amount_gives_zeros():
    assert split_largest_remainder(D("0.05"), {"A": D(1), "Z": D(0)}) == {
        "A": D("0.05"), "Z": D("0.00")}
    assert split_largest_remainder(ZERO, {"A": D(1), "B": D(3)}) == {"A": ZERO, "B": ZERO}


@pytest.mark.parametrize(("amount", "weights"), [
    ("1.00", {}), ("1.00", {"A": D(0)}), ("1.00", {"A": D(1), "B": D(-1)}),
    ("1.005", {"A": D(1)}),
])
def test_weights_and_amounts_the_caller_must_have_refused(amount, weights):
    with pytest.raises(ValueError):
        split_largest_remainder(D(amount), weights)


def test_split_fixed():
    assert split_fixed(D("10.00"), [("A", D("33.3")), ("B", D("33.3")), ("C", D("33.4"))]) == {
        "A": D("3.33"), "B": D("3.33"), "C": D("3.34")}
    with pytest.raises(ValueError):
        split_fixed(D("10.00"), [("A", D(50)), ("B", D(49))])


amounts_in_cents = st.integers(-10**9, 10**9).map(lambda n: Decimal(n).scaleb(-2))
weights = st.dictionaries(
    st.text("ABCDEFGH", min_size=1, max_size=3),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    min_size=1, max_size=8,
).filter(lambda w: sum(w.values()) > 0)


@settings(max_examples=200, deadline=None, database=None)
@given(amount=amounts_in_cents, weights=weights)
def test_shares_always_sum_to_the_amount_to_the_cent(amount, weights):
    shares = split_largest_remainder(amount, weights)
    assert set(shares) == set(weights)
    assert sum(shares.values()) == amount
    total = sum(weights.values())
    for code, share in shares.items():
        assert share == share.quantize(CENT)
        assert share * amount >= 0  # same sign as the amount
        assert abs(share - amount * weights[code] / total) < CENT  # within a cent of exact
        if weights[code] == 0:
            assert share == 0


# --- rated usage ---------------------------------------------------------------------

DC = [Service(code="CPU", unit="DC", uom="core-hour"), Service(code="GB", unit="DC", uom="GB")]


def test_rated_usage_rounds_each_consumer_half_up():
    charges, errors = rate_usage(
        PERIOD, [UsageLine(consumer="A", service="CPU", quantity=D(333)),
                 UsageLine(consumer="B", service="CPU", quantity=D("0.2"))],
        services={s.code: s for s in DC}, consumers={c.code: c for c in LABS},
        prices={"CPU": D("0.0375")})
    assert errors == []
    assert [c.amount for c in charges] == [D("12.49"), D("0.01")]  # 12.4875, 0.0075
    assert charges[0].rate == D("0.0375") and charges[0].quantity == D(333)
    assert charges[0].method == "usage" and charges[0].service == "CPU"
    assert charges[0].basis == "service CPU at 0.0375 per core-hour"


def test_usage_is_rated_once_per_consumer_and_service_not_per_line():
    """Three lines of 0.1 core-hour at 0.05: per line each would round 0.005 up to 0.01
    (0.03 in all); the contract rounds the sum once: 0.3 * 0.05 = 0.015 -> 0.02."""
    lines = [UsageLine(consumer="A", service="CPU", quantity=D("0.1")) for _ in range(3)]
    lines.append(UsageLine(consumer="B", service="CPU", quantity=D("0.1")))
    charges, errors = rate_usage(
        PERIOD, lines, services={s.code: s for s in DC},
        consumers={c.code: c for c in LABS}, prices={"CPU": D("0.05")})
    assert errors == []
    assert [(c.consumer, c.quantity, c.amount) for c in charges] == [
        ("A", D("0.3"), D("0.02")), ("B", D("0.1"), D("0.01"))]


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["CPU", "GB"]),
                          st.decimals(min_value=-50, max_value=500, places=6)),
                min_size=1, max_size=40))
def test_rating_lines_equals_rating_their_sums(lines):
    """The close hands the rules one line per pair, summed in the database; the rules
    given the raw lines must charge exactly the same."""
    raw = [UsageLine(consumer=c, service=s, quantity=q) for c, s, q in lines]
    summed = [UsageLine(consumer=c, service=s, quantity=q)
              for (c, s), q in aggregate_usage(raw).items()]
    setting = {"services": {s.code: s for s in DC}, "consumers": {c.code: c for c in LABS},
               "prices": {"CPU": D("0.0375"), "GB": D("0.021")}}
    assert rate_usage(PERIOD, raw, **setting) == rate_usage(PERIOD, list(reversed(summed)),
                                                            **setting)
    charges, _ = rate_usage(PERIOD, raw, **setting)
    assert len(charges) == len({(c, s) for c, s, _ in lines})


def test_usage_without_a_price_names_unit_service_and_period():
    result, errors = run([unit("DC", {"hw": "100.00"})], LABS, DC, {"CPU": "0.05"},
                         [UsageLine(consumer="A", service="GB", quantity=D(1)),
                          UsageLine(consumer="B", service="GB", quantity=D(2))])
    assert result is None
    assert errors == [RuleError(source="unit DC service GB", field="rate",
                                message="no rate in force for 2026-03")]


def test_usage_by_unknown_consumer_or_of_unknown_service():
    _, errors = run([unit("DC")], LABS, DC, {"CPU": "1"},
                    [UsageLine(consumer="Q", service="CPU", quantity=D(1)),
                     UsageLine(consumer="A", service="XX", quantity=D(1))])
    assert {str(e) for e in errors} == {
        "unit DC service CPU: consumer: unknown consumer Q in 2026-03",
        "usage by A: service: unknown service XX in 2026-03"}


def test_a_unit_cannot_use_its_own_service():
    _, errors = run([unit("DC")], [consumer("C-DC", "DC")], DC, {"CPU": "1"},
                    [UsageLine(consumer="C-DC", service="CPU", quantity=D(1))])
    assert errors[0].field == "consumer" and "cannot charge itself" in errors[0].message


# --- pools and methods ---------------------------------------------------------------


def test_driver_allocation_of_a_pool():
    result, errors = run([unit("WW", {"facilities": "100.00", "hw": "50.00"},
                               [driver_rule("facilities")])], LABS, drivers=HEADCOUNT)
    assert errors == []
    assert amounts(result) == {("WW", "A"): D("33.34"), ("WW", "B"): D("33.33"),
                               ("WW", "C"): D("33.33")}
    charge = result.charges[0]
    assert (charge.method, charge.basis, charge.quantity, charge.service, charge.rate) == (
        "driver", "pool facilities by headcount", D(1), None, None)
    totals = result.totals["WW"]
    assert (totals.spend, totals.charged, totals.absorbed) == (D(150), D(100), D(50))
    assert totals.recovery_pct == D(100) * D(100) / D(150)


def test_pool_all_shares_the_whole_spend():
    result, _ = run([unit("WW", {"facilities": "100.00", "hw": "50.00"},
                          [driver_rule("all")])], LABS, drivers=HEADCOUNT)
    assert sum(amounts(result).values()) == D("150.00")
    assert result.totals["WW"].absorbed == 0


def test_pool_unrecovered_shares_what_usage_left():
    usage = [UsageLine(consumer="A", service="CPU", quantity=D(1000))]  # 40.00
    result, errors = run([unit("DC", {"hw": "100.00"}, [driver_rule("unrecovered")])], LABS,
                         DC, {"CPU": "0.04"}, usage, HEADCOUNT)
    assert errors == []
    assert [c.amount for c in result.charges if c.method == "driver"] == [
        D("20.00"), D("20.00"), D("20.00")]
    assert result.totals["DC"].charged == D("100.00")


def test_pool_unrecovered_is_nothing_when_usage_over_recovers():
    usage = [UsageLine(consumer="A", service="CPU", quantity=D(1000))]  # 150.00
    result, errors = run([unit("DC", {"hw": "100.00"}, [driver_rule("unrecovered")])], LABS,
                         DC, {"CPU": "0.15"}, usage, HEADCOUNT)
    assert errors == []
    assert [c.method for c in result.charges] == ["usage"]
    assert result.totals["DC"].absorbed == D("-50.00")  # over-recovery, reported


def test_a_pool_with_no_spend_charges_nothing():
    result, errors = run([unit("WW", {"hw": "10.00"}, [driver_rule("facilities")])], LABS,
                         drivers=HEADCOUNT)
    assert errors == [] and result.charges == ()


def test_fixed_split():
    result, errors = run([unit("WW", {"hw": "10.00"}, [fixed_rule("all", A="60", B="40")])],
                         LABS)
    assert errors == []
    assert amounts(result) == {("WW", "A"): D("6.00"), ("WW", "B"): D("4.00")}
    assert result.charges[0].basis == "pool all fixed 60%"


def test_a_negative_pool_is_credited_the_same_way():
    result, _ = run([unit("WW", {"hw": "-100.00"}, [driver_rule("hw")])], LABS,
                    drivers=HEADCOUNT)
    assert amounts(result) == {("WW", "A"): D("-33.34"), ("WW", "B"): D("-33.33"),
                               ("WW", "C"): D("-33.33")}


def test_driver_rule_restricted_to_listed_consumers():
    result, _ = run([unit("WW", {"hw": "10.00"}, [driver_rule("hw", consumers=("A", "C"))])],
                    LABS, drivers=HEADCOUNT)
    assert amounts(result) == {("WW", "A"): D("5.00"), ("WW", "C"): D("5.00")}


def test_a_consumer_with_zero_driver_gets_no_line():
    drivers = {**HEADCOUNT, ("headcount", "C"): "0"}
    result, _ = run([unit("WW", {"hw": "10.00"}, [driver_rule("hw")])], LABS, drivers=drivers)
    assert amounts(result) == {("WW", "A"): D("5.00"), ("WW", "B"): D("5.00")}


# --- errors that stop a close --------------------------------------------------------


def errors_for(units, consumers=LABS, drivers=None, **kwargs):
    result, errors = run(units, consumers, drivers=drivers, **kwargs)
    assert result is None
    return [str(e) for e in errors]


def test_drivers_missing_for_the_period():
    assert errors_for([unit("WW", {"hw": "1.00"}, [driver_rule("hw")])]) == [
        "unit WW rule 1: driver: no quantities for driver headcount in 2026-03"]


def test_a_listed_consumer_without_a_driver_quantity():
    errors = errors_for([unit("WW", {"hw": "1.00"}, [driver_rule("hw", consumers=("A", "B"))])],
                        drivers={("headcount", "A"): "3"})
    assert errors == ["unit WW rule 1: driver: no headcount quantity for consumer B in 2026-03"]


def test_drivers_summing_to_zero():
    zero = {("headcount", "A"): "0", ("headcount", "B"): "0"}
    assert errors_for([unit("WW", {"hw": "1.00"}, [driver_rule("hw")])], drivers=zero) == [
        "unit WW rule 1: driver: driver headcount sums to zero in 2026-03"]


def test_negative_drivers():
    errors = errors_for([unit("WW", {"hw": "1.00"}, [driver_rule("hw")])],
                        drivers={("headcount", "A"): "3", ("headcount", "B"): "-1"})
    assert errors == ["unit WW rule 1: driver: driver headcount is negative for B in 2026-03"]


def test_fixed_splits_not_summing_to_100():
    assert errors_for([unit("WW", {"hw": "1.00"}, [fixed_rule("hw", A="60", B="30")])]) == [
        "unit WW rule 1: splits: percentages sum to 90, not 100 (2026-03)"]


def test_fixed_split_problems():
    rule = AllocationRule(pool="hw", method="fixed",
                          splits=(("A", D(50)), ("A", D(60)), ("Q", D(-10))))
    errors = errors_for([unit("WW", {"hw": "1.00"}, [rule])])
    assert "unit WW rule 1: splits: unknown consumer Q in 2026-03" in errors
    assert "unit WW rule 1: splits: A appears twice (2026-03)" in errors
    assert "unit WW rule 1: splits: percentages must not be negative (2026-03)" in errors


@pytest.mark.parametrize(("rule", "message"), [
    (AllocationRule(pool="hw", method="share"), "method: must be 'driver' or 'fixed'"),
    (AllocationRule(pool="hw", method="driver"), "driver: a driver rule needs a driver"),
    (AllocationRule(pool="", method="driver", driver="x"), "pool: is required"),
    (AllocationRule(pool="hw", method="fixed"), "splits: a fixed rule needs splits"),
    (AllocationRule(pool="hw", method="fixed", driver="x", splits=(("A", D(100)),)),
     "splits: a fixed rule needs splits and no driver"),
    (driver_rule("hw", consumers=("C-WW",)), "cannot charge itself"),
    (driver_rule("hw", consumers=("Q",)), "consumers: unknown consumer Q in 2026-03"),
])
def test_malformed_rules(rule, message):
    consumers = [*LABS, consumer("C-WW", "WW")]
    errors = errors_for([unit("WW", {"hw": "1.00"}, [rule])], consumers, HEADCOUNT)
    assert any(e.startswith("unit WW rule 1: ") and message in e for e in errors), errors


def test_the_default_consumers_leave_out_the_units_own():
    consumers = [*LABS, consumer("C-WW", "WW")]
    drivers = {**HEADCOUNT, ("headcount", "C-WW"): "7"}
    result, errors = run([unit("WW", {"hw": "3.00"}, [driver_rule("hw")])], consumers,
                         drivers=drivers)
    assert errors == []
    assert {c.consumer for c in result.charges} == {"A", "B", "C"}


@pytest.mark.parametrize(("units", "consumers", "message"), [
    ([unit("WW"), unit("WW")], LABS, "unit WW: code: appears more than once in 2026-03"),
    ([unit("WW")], [*LABS, consumer("A")], "consumer A: code: appears more than once in 2026-03"),
    ([unit("WW")], [consumer("X", "NOPE")], "consumer X: unit: unknown unit NOPE in 2026-03"),
    ([unit("WW", mode="bill")], LABS, "unit WW: billing_mode: must be 'chargeback' or 'showback'"),
    ([unit("WW", {"internal": "1.00"})], LABS,
     "unit WW: pool: spend in 2026-03 uses the reserved pool name internal"),
    ([unit("WW", {"all": "1.00"})], LABS,
     "unit WW: pool: spend in 2026-03 uses the reserved pool name all"),
    ([unit("WW", {"hw": "1.005"})], LABS,
     "unit WW: spend: pool hw spend 1.005 in 2026-03 is not a whole number of cents"),
])
def test_bad_period_data(units, consumers, message):
    assert message in errors_for(units, consumers)


def test_a_service_of_an_unknown_unit():
    assert "service CPU: unit: unknown unit DC in 2026-03" in errors_for(
        [unit("WW")], services=DC[:1])


# --- the cascade ---------------------------------------------------------------------


def cascade_period():
    """DC sells CPU to WW and a lab and shares its facilities; WW passes everything on."""
    units = [
        unit("DC", {"hw": "1000.00", "facilities": "300.00"},
             [driver_rule("unrecovered", consumers=("C-WW", "C-ALT", "C"))], account="4000"),
        unit("WW", {"desk": "500.00"}, [fixed_rule("all", A="60", B="40")], account="4100"),
        unit("ALT", {"desk": "200.00"}, [driver_rule("all", consumers=("C",))], mode="showback",
             account=None),
    ]
    consumers = [*LABS, consumer("C-WW", "WW", "6100"), consumer("C-ALT", "ALT", "6200")]
    usage = [UsageLine(consumer="C-WW", service="CPU", quantity=D(1000)),
             UsageLine(consumer="A", service="CPU", quantity=D(333))]
    drivers = {("headcount", "C-WW"): "10", ("headcount", "C-ALT"): "20",
               ("headcount", "C"): "5"}
    return units, consumers, usage, drivers


def test_internal_charges_become_the_receivers_spend_and_are_passed_on():
    units, consumers, usage, drivers = cascade_period()
    result, errors = run(units, consumers, DC, {"CPU": "0.0375"}, usage, drivers)
    assert errors == []
    assert result.order == ("DC", "ALT", "WW")
    assert result.internal == (("DC", "ALT", D("714.29")), ("DC", "WW", D("394.65")))
    ww = result.totals["WW"]
    assert (ww.internal_received, ww.spend, ww.charged, ww.absorbed) == (
        D("394.65"), D("894.65"), D("894.65"), D(0))
    assert result.totals["ALT"].spend == D("914.29")
    assert check_conservation(result, D("2000.00")) == []


def test_conservation_fails_loudly_when_spend_is_left_out():
    units, consumers, usage, drivers = cascade_period()
    result, _ = run(units, consumers, DC, {"CPU": "0.0375"}, usage, drivers)
    errors = check_conservation(result, D("2000.01"))
    assert [e.field for e in errors] == ["conservation"]
    assert "external spend is 2000.01" in errors[0].message


def test_internal_pool_passes_on_only_what_was_received():
    units = [unit("DC", {"hw": "90.00"}, [driver_rule("hw", consumers=("C-WW",))]),
             unit("WW", {"desk": "10.00"}, [driver_rule("internal", consumers=("A",))])]
    consumers = [*LABS, consumer("C-WW", "WW")]
    result, errors = run(units, consumers, drivers={("headcount", "C-WW"): "1",
                                                     ("headcount", "A"): "1"})
    assert errors == []
    assert amounts(result, "WW") == {("WW", "A"): D("90.00")}
    assert result.totals["WW"].absorbed == D("10.00")


def test_a_cycle_is_refused_naming_its_units():
    units = [unit("DC", {"hw": "1.00"}, [driver_rule("hw", consumers=("C-WW",))]),
             unit("WW", {"hw": "1.00"}, [driver_rule("hw", consumers=("C-DC",))]),
             unit("ALT", {"hw": "1.00"})]
    consumers = [consumer("C-DC", "DC"), consumer("C-WW", "WW")]
    drivers = {("headcount", "C-DC"): "1", ("headcount", "C-WW"): "1"}
    assert errors_for(units, consumers, drivers) == [
        "period 2026-03: units: internal charges form a cycle: DC -> WW -> DC"]


def test_a_longer_cycle_behind_a_unit_that_is_not_in_it():
    edges = {"A": {"B"}, "B": {"C"}, "C": {"D"}, "D": {"B"}, "E": set()}
    order, errors = dependency_order(PERIOD, list(edges), edges)
    assert order == ()
    assert [e.message for e in errors] == ["internal charges form a cycle: B -> C -> D -> B"]


def test_dependency_order_is_deterministic():
    edges = {"Z": {"A"}, "M": {"A"}, "A": set(), "B": set()}
    assert dependency_order(PERIOD, ["Z", "M", "A", "B"], edges) == (("B", "M", "Z", "A"), [])


# --- the journal ---------------------------------------------------------------------


def test_journal_debits_each_consumer_and_credits_the_recovery_account():
    units, consumers, usage, drivers = cascade_period()
    result, _ = run(units, consumers, DC, {"CPU": "0.0375"}, usage, drivers)
    lines, errors = build_journal(PERIOD, result, units, consumers, "USD")
    assert errors == []
    assert {line.journal for line in lines} == {"CB-2026-03-DC", "CB-2026-03-WW"}  # no showback
    dc = [line for line in lines if line.unit == "DC"]
    assert [(line.account, line.consumer, line.debit, line.credit) for line in dc] == [
        ("7001", "A", D("12.49"), ZERO), ("7003", "C", D("178.57"), ZERO),
        ("6200", "C-ALT", D("714.29"), ZERO), ("6100", "C-WW", D("394.65"), ZERO),
        ("4000", None, ZERO, D("1300.00")),
    ]
    assert dc[0].description == "Chargeback 2026-03 from DC"
    assert dc[-1] == JournalLine(journal="CB-2026-03-DC", period=PERIOD, unit="DC",
                                 account="4000", consumer=None,
                                 description="Recovery 2026-03 DC", debit=ZERO,
                                 credit=D("1300.00"), currency="USD")
    assert check_journal_balance(lines) == []


def test_a_chargeback_unit_with_charges_needs_a_recovery_account():
    units = [unit("WW", {"hw": "10.00"}, [fixed_rule("hw", A="100")], account=None)]
    result, _ = run(units, LABS)
    lines, errors = build_journal(PERIOD, result, units, LABS, "USD")
    assert lines == []
    assert [str(e) for e in errors] == [
        "unit WW: recovery_account: a chargeback unit with charges in 2026-03 needs a "
        "recovery account"]


def test_a_credit_posts_in_the_credit_column():
    units = [unit("WW", {"hw": "-10.00"}, [fixed_rule("hw", A="100")])]
    result, _ = run(units, LABS)
    lines, _ = build_journal(PERIOD, result, units, LABS, "USD")
    assert [(line.debit, line.credit) for line in lines] == [(0, D("10.00")), (D("10.00"), 0)]
    assert check_journal_balance(lines) == []


def test_an_unbalanced_journal_is_caught():
    line = JournalLine(journal="CB-2026-03-WW", period=PERIOD, unit="WW", account="1",
                       consumer="A", description="x", debit=D("1.00"), credit=ZERO,
                       currency="USD")
    assert [str(e) for e in check_journal_balance([line])] == [
        "journal CB-2026-03-WW: balance: debits 1.00 do not equal credits 0"]


# --- conservation on random cascades -------------------------------------------------


@st.composite
def holdings(draw):
    """A random holding: a unit tree, consumers (some of them units), services, usage and
    rules whose internal charges only flow down a random ranking, so there is no cycle."""
    count = draw(st.integers(1, 6))
    codes = [f"U{i}" for i in range(count)]
    parents = {code: None if i == 0 else draw(st.sampled_from(codes[:i]))
               for i, code in enumerate(codes)}
    ranking = draw(st.permutations(codes))
    externals = [f"X{i}" for i in range(draw(st.integers(1, 4)))]
    consumers = [consumer(x, gl=f"7{x}") for x in externals]
    consumers += [consumer(f"C-{code}", code, gl=f"6{code}") for code in codes]
    cents = st.integers(-50000, 500000).map(lambda n: Decimal(n).scaleb(-2))

    def downstream(code):
        later = ranking[ranking.index(code) + 1:]
        return externals + [f"C-{c}" for c in later]

    services, prices, usage, drivers, units = [], {}, [], {}, []
    for code in codes:
        if draw(st.booleans()):
            services.append(Service(code=f"S-{code}", unit=code, uom="hour"))
            prices[f"S-{code}"] = draw(st.decimals(min_value="0.0001", max_value=500,
                                                   places=4))
            for who in draw(st.lists(st.sampled_from(downstream(code)), max_size=3)):
                quantity = draw(st.decimals(min_value=0, max_value=5000, places=2))
                usage.append(UsageLine(consumer=who, service=f"S-{code}", quantity=quantity))
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            pool = draw(st.sampled_from(("hw", "facilities", "all", "unrecovered", "internal")))
            targets = draw(st.lists(st.sampled_from(downstream(code)), min_size=1, max_size=4,
                                    unique=True))
            if draw(st.booleans()):
                driver = f"d-{code}-{len(rules)}"
                for who in targets:
                    drivers[(driver, who)] = D(draw(st.integers(1, 100)))
                rules.append(AllocationRule(pool=pool, method="driver", driver=driver,
                                            consumers=tuple(targets)))
            else:
                cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(targets) - 1,
                                            max_size=len(targets) - 1)))
                percents = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
                rules.append(AllocationRule(pool=pool, method="fixed", splits=tuple(
                    (who, D(p)) for who, p in zip(targets, percents, strict=True))))
        spend = {pool: draw(cents) for pool in draw(st.sets(st.sampled_from(("hw", "facilities",
                                                                              "people"))))}
        units.append(UnitLedger(code=code, billing_mode=draw(st.sampled_from(
            ("chargeback", "showback"))), recovery_account=f"4{code}", spend_by_pool=spend,
            rules=tuple(rules)))
    return units, consumers, services, prices, usage, drivers, parents


@settings(max_examples=120, deadline=None, database=None)
@given(holding=holdings())
def test_money_is_conserved_on_random_cascades(holding):
    units, consumers, services, prices, usage, drivers, parents = holding
    result, errors = allocate(PERIOD, units, consumers, services, prices, usage, drivers)
    assert errors == []
    external = sum((sum(u.spend_by_pool.values(), ZERO) for u in units), ZERO)
    assert check_conservation(result, external) == []
    unit_consumers = {c.code for c in consumers if c.unit is not None}
    to_consumers = sum(c.amount for c in result.charges if c.consumer not in unit_consumers)
    assert to_consumers + sum(t.absorbed for t in result.totals.values()) == external
    for charge in result.charges:
        assert charge.amount == charge.amount.quantize(CENT)
    lines, journal_errors = build_journal(PERIOD, result, units, consumers, "USD")
    assert journal_errors == [] and check_journal_balance(lines) == []
    assert {line.unit for line in lines} <= {u.code for u in units if u.billing_mode ==
                                             "chargeback"}
    assert_root_counts_each_external_dollar_once(result, parents, external, to_consumers)


def assert_root_counts_each_external_dollar_once(result, parents, external, to_consumers):
    nodes = [RollupNode(code=code, parent=parents[code], spend=t.spend, budget=None,
                        charged=t.charged, attainment=None, band="unrated")
             for code, t in result.totals.items()]
    rows, errors = roll_up(nodes, result.internal)
    assert errors == []
    root = rows[0]
    assert root.parent is None
    assert root.spend == external
    assert root.charged == to_consumers
    assert root.eliminated == sum(amount for _, _, amount in result.internal)
