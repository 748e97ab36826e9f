"""money.py: one way to make numbers, and the three roundings the specs name."""

from decimal import Decimal

import pytest

from rules.money import CENT, ZERO, D, cents, floor_to_cent, one_decimal, percent_of, weighted_mean


def test_d_makes_decimals_from_text_int_and_decimal():
    assert D("0.10") == Decimal("0.10")
    assert D(" 12.5 ") == Decimal("12.5")
    assert D(3) == Decimal(3)
    assert D(Decimal("1.05")) == Decimal("1.05")
    assert Decimal(0) == ZERO and Decimal("0.01") == CENT


@pytest.mark.parametrize("value", [0.1, 1.0, True, None, [1]])
def test_d_refuses_floats_booleans_and_other_types(value):
    with pytest.raises(TypeError):
        D(value)


@pytest.mark.parametrize("text", ["abc", "", "NaN", "Infinity", "-inf", "1,5"])
def test_d_refuses_text_that_is_not_a_finite_number(text):
    with pytest.raises(ValueError):
        D(text)


@pytest.mark.parametrize(("value", "expected"), [
    ("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("37.5", "37.50"),
    ("12.4875", "12.49"), ("0.005", "0.01"),
])
def test_cents_rounds_half_up(value, expected):
    assert cents(D(value)) == D(expected)
    assert str(cents(D(value))) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2.349", "2.34"), ("-2.349", "-2.34"), ("33.333", "33.33"), ("0.009", "0.00"),
])
def test_floor_to_cent_cuts_toward_zero(value, expected):
    assert floor_to_cent(D(value)) == D(expected)


@pytest.mark.parametrize(("value", "expected"), [
    ("80.8333333", "80.8"), ("84.75", "84.8"), ("84.797619", "84.8"), ("87", "87.0"),
    ("-0.05", "-0.1"),
])
def test_one_decimal_rounds_half_up_for_display(value, expected):
    assert str(one_decimal(D(value))) == expected


def test_percent_of_is_none_when_the_whole_is_zero():
    assert percent_of(D("103.2"), D(100)) == D("103.2")
    assert percent_of(D(5), ZERO) is None


def test_weighted_mean():
    assert weighted_mean([(D(3), D(75)), (D(2), D(80)), (D(1), D(100))]) == D(485) / D(6)
    assert weighted_mean([]) is None
    assert weighted_mean([(ZERO, D(5))]) is None
