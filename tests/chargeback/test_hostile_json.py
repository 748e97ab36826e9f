"""Issue 12's findings for scorecard and rules JSON files, through the command line: every
refusal exits 1 with a message naming the line or field, never a traceback, and changes
nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.chargeback.helpers import data_fingerprint
from tests.chargeback.test_close_end_to_end import DATA, load_company

CRITERION = {"key": "csat", "label": "Satisfaction", "expr": "researcher_csat",
             "direction": "higher", "method": "linear", "target": 4.5, "floor": 3.5,
             "weight": 1}


def scorecard(**changes) -> dict:
    criterion = {**CRITERION, **changes.pop("criterion", {})}
    return {"unit": "ALT", "effective_from": "2026-05", "criteria": [criterion], **changes}


@pytest.fixture
def loaded(runner):
    load_company(runner)
    return runner


def refused(runner, tmp_path: Path, command: str, content: str | bytes, *expected: str):
    """The file is refused: exit 1, each expected text on stderr, nothing changed."""
    path = tmp_path / f"{command}.json"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    before = data_fingerprint()
    result = runner.invoke(args=[command, "import", str(path)])
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output + result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert data_fingerprint() == before
    return result


def test_a_duplicate_key_is_refused_not_last_wins(loaded, tmp_path):
    text = json.dumps(scorecard())[:-3] + ', "weight": 3}]}'
    assert text.count('"weight"') == 2
    refused(loaded, tmp_path, "scorecard", text, "line 1", "weight",
            "appears twice in one object")
    rules = ('{"unit": "WW", "rules": [{"pool": "desktop", "method": "fixed", "splits": '
             '[{"consumer": "LINE1", "percent": 60}, {"consumer": "LINE2", "percent": 40}]}],\n'
             '"unit": "ALT"}')
    refused(loaded, tmp_path, "rules", rules, "line 2", "unit", "appears twice in one object")


def test_json_nested_10000_deep_is_refused_without_a_traceback(loaded, tmp_path):
    """A RecursionError (a CLI traceback)."""
    deep = '{"unit": "ALT", "effective_from": "2026-05", "criteria": ' + "[" * 10_000 \
        + "]" * 10_000 + "}"
    refused(loaded, tmp_path, "scorecard", deep, "nested deeper than 32 levels")
    refused(loaded, tmp_path, "rules", "[" * 10_000 + "]" * 10_000,
            "nested deeper than 32 levels")


def test_a_utf8_byte_order_mark_is_accepted_as_in_csv(loaded, tmp_path):
    path = tmp_path / "scorecard.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(scorecard()).encode())
    result = loaded.invoke(args=["scorecard", "import", str(path)])
    assert result.exit_code == 0, result.output
    rules = tmp_path / "rules.json"
    rules.write_bytes(b"\xef\xbb\xbf" + (DATA / "rules-WW.json").read_bytes())
    result = loaded.invoke(args=["rules", "import", str(rules)])
    assert result.exit_code == 0, result.output


def test_20000_criteria_are_refused_at_once(loaded, tmp_path):
    criteria = [{**CRITERION, "key": f"c{n}"} for n in range(20_000)]
    started = time.monotonic()
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(criteria=criteria)),
            "criteria: at most 50 criteria (this scorecard has 20000)")
    assert time.monotonic() - started < 10


def test_the_criteria_limit_is_a_setting(loaded, app, tmp_path):
    app.config["CHARGEBACK_MAX_CRITERIA"] = 2
    criteria = [{**CRITERION, "key": f"c{n}"} for n in range(3)]
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(criteria=criteria)),
            "at most 2 criteria")


@pytest.mark.parametrize("expr", ["researcher_csat / 0", "researcher_csat / (2 - 2)",
                                  "researcher_csat * 0 / 0.0"])
def test_a_division_by_a_literal_zero_is_refused_at_save_time(loaded, tmp_path, expr):
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(criterion={"expr": expr})),
            "criterion csat: expr: division by zero")


@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "1e-999999999",
                                    "9" * 5000])
def test_numbers_beyond_the_decimal_range_are_refused(loaded, tmp_path, number):
    """``decimal.Overflow`` tracebacks on an exponent beyond the decimal range."""
    text = json.dumps(scorecard(criterion={"target": "TARGET"})).replace('"TARGET"', number)
    refused(loaded, tmp_path, "scorecard", text, "criterion csat: target: ")
    text = json.dumps(scorecard(criterion={"weight": number}))
    refused(loaded, tmp_path, "scorecard", text, "criterion csat: weight: ")


@pytest.mark.parametrize("expr", ["-" * 990 + "researcher_csat",
                                  " + ".join(["researcher_csat"] * 300),
                                  "(" * 200 + "researcher_csat" + ")" * 200])
def test_an_expression_nested_too_deep_is_refused(loaded, tmp_path, expr):
    """A RecursionError on an expression of 990 unary minuses."""
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(criterion={"expr": expr})),
            "criterion csat: expr: ")


def test_a_long_expression_is_refused_before_it_is_parsed(loaded, tmp_path):
    """A 1 MB expression was parsed for minutes before the 1,000-character limit applied."""
    expr = "researcher_csat + " * 50_000 + "1"
    started = time.monotonic()
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(criterion={"expr": expr})),
            "criterion csat: expr: longer than 1000 characters")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("period", ["0000-01", "1899-12", "3000-01"])
def test_an_effective_from_outside_the_databases_range_is_refused(loaded, tmp_path, period):
    """An IntegrityError traceback for scorecard and rules ``effective_from``."""
    refused(loaded, tmp_path, "scorecard", json.dumps(scorecard(effective_from=period)),
            "effective_from")
    rules = json.loads((DATA / "rules-WW.json").read_text())
    refused(loaded, tmp_path, "rules", json.dumps({**rules, "effective_from": period}),
            "effective_from", period)


def test_a_rule_naming_a_cost_pool_that_does_not_exist_is_refused(loaded, tmp_path):
    rules = {"unit": "WW", "effective_from": "2026-05",
             "rules": [{"pool": "labr", "method": "fixed",
                        "splits": [{"consumer": "LINE1", "percent": 100}]}]}
    refused(loaded, tmp_path, "rules", json.dumps(rules), "rule 1: pool: ", "labr")


def test_a_json_file_that_is_not_json_names_its_line(loaded, tmp_path):
    refused(loaded, tmp_path, "scorecard", '{"unit": "ALT",\n"criteria": [}',
            "line 2")
    refused(loaded, tmp_path, "scorecard", b'{"unit": "AL\xff"}', "not UTF-8")
    refused(loaded, tmp_path, "scorecard", '{"unit": NaN}', "line 1")
    refused(loaded, tmp_path, "scorecard", '{"unit": "ALT", "weight": ' + "9" * 5000 + "}",
            "weight: is not a known field")  # an integer of 5,000 digits is read, not a crash
