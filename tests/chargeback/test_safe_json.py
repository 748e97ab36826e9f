"""chargeback.safe_json: the standard library's parser inside limits checked before it runs."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chargeback.safe_json import JsonLimits, JsonRefused, loads


def refusal(data, limits=None) -> JsonRefused:
    with pytest.raises(JsonRefused) as caught:
        loads(data, limits)
    return caught.value


def test_numbers_are_exact_and_a_byte_order_mark_is_accepted():
    assert loads(b'\xef\xbb\xbf{"a": 4.5, "b": 10, "c": "x"}') == {
        "a": Decimal("4.5"), "b": 10, "c": "x"}
    assert loads('\ufeff[1]') == [1]
    assert loads(b'{"n": ' + b"9" * 5000 + b"}")["n"] == Decimal("9" * 5000)  # no int limit


def test_depth_is_counted_outside_strings_and_bounded_exactly():
    limits = JsonLimits(max_depth=3)
    assert loads('[[["]]]]]]", "[[[[", "\\"[[[["]]]', limits) == [[["]]]]]]", "[[[[", '"[[[[']]]
    assert loads('{"a": [{"b": 1}]}', limits) == {"a": [{"b": 1}]}
    deep = refusal('{"a": [{"b": [1]}]}', limits)
    assert deep.message == ("line 1 column 14: the JSON is nested deeper than 3 levels "
                            "(CHARGEBACK_JSON_MAX_DEPTH).")
    assert not deep.too_large


def test_ten_thousand_levels_are_refused_at_once():
    started = time.monotonic()
    for text in ("[" * 10_000 + "]" * 10_000, "[" * 100_000, "[{}]" * 50_000 + "[" * 40):
        assert "nested deeper than 32 levels" in refusal(text).message
    assert time.monotonic() - started < 2


def test_brackets_that_do_not_match_are_the_parsers_error():
    assert refusal("[{]}").message == "line 1 column 3: Expecting property name enclosed in " \
                                      "double quotes."


def test_size_and_count_are_413():
    too_big = refusal(b" " * 101, JsonLimits(max_bytes=100))
    assert too_big.too_large and "101 bytes" in too_big.message
    many = refusal("[" + ",".join(["0"] * 2000) + "]", JsonLimits(max_values=1000))
    assert many.too_large and "more than 1000 values" in many.message
    assert len(loads("[" + ",".join(['","'] * 999) + "]", JsonLimits(max_values=1000))) == 999


def test_a_key_twice_is_refused_where_it_stands():
    assert refusal('{"a": {"b": 1,\n  "b": 2}}').message == (
        "line 2 column 3: the key 'b' appears twice in one object.")
    assert refusal('[{"a": 1}, {"x": [1, {"y": 2, "y": 3}]}]').message == (
        "line 1 column 31: the key 'y' appears twice in one object.")


def test_nan_infinity_and_bytes_name_their_place():
    assert refusal('{"a": "NaN",\n "b": -Infinity}').message == (
        "line 2 column 7: -Infinity is not a number JSON allows.")
    assert refusal(b'{"a":\n "\xe9"}').message == "line 2 column 3: not UTF-8 text (byte 0xE9)."
    assert refusal("").message == "line 1 column 1: Expecting value."


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=30))
def test_what_the_standard_library_reads_within_the_limits_is_read_the_same(document):
    import json

    text = json.dumps(document)
    try:
        expected = json.loads(text)
    except RecursionError:  # pragma: no cover - hypothesis keeps documents shallow
        return
    assert loads(text, JsonLimits(max_depth=1000, max_values=10**6)) == expected
