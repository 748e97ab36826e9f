"""Schemathesis against the app's own OpenAPI document, in process (WSGI), with a token.

Every operation gets a bounded number of generated requests (``EXAMPLES`` valid ones and
``EXAMPLES`` invalid ones, no per-example deadline, derandomised so a CI run is
repeatable); every answer must be no server error and must match the document: a
documented status code, the documented content type and headers, and a body valid
against the documented schema. Operations that change data run on this test's own
throwaway database (the company closed for 2026-03).

The operations are walked here rather than with ``schema.parametrize()``: its lazy
fixture loader does not run under pytest 9, and one walk builds the company only once.

Decimals (``format: decimal``) are generated hostile too: besides what the pattern allows,
digit strings thousands long and fractions of hundreds of places. And every operation that
takes a JSON body is sent, on top of its generated requests, bodies with every number made
hostile (``1e999999999``, 5,000 digits, ``NaN``) and bodies nested 10,000 deep: each must be
answered as the document says (a 4xx in the error shape), never a 500.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.slow

DECIMAL_PATTERN = r"\A-?[0-9]+(\.[0-9]+)?\Z"
schemathesis.openapi.format("decimal", st.one_of(
    st.from_regex(DECIMAL_PATTERN),
    st.integers(41, 5000).map(lambda n: "9" * n),
    st.integers(41, 500).map(lambda n: "0." + "0" * n + "1"),
    st.sampled_from(["0", "-0", "00000000000000000000000000000000000000000000001"]),
))
HOSTILE_NUMBERS = ["1e999999999", "-1e-999999999", "9" * 5000, "NaN", "-Infinity", "1E+400",
                   "0e999999999", '"1e999999999"', '"١٢٣"', '"9' + "9" * 5000 + '"']
EXAMPLES = 10
TIME_LIMIT = 240  # seconds for the whole walk, a guard against a runaway generator
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def _exercise(operation, mode: GenerationMode, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_api_matches_its_document(company, bearer):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", company)
    headers = bearer("admin")
    started = time.monotonic()
    walked, failures = [], []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    # Reads first, while 2026-03 is still closed; then the operations that change data.
    for operation in sorted(operations, key=lambda op: op.method.lower() != "get"):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _exercise(operation, mode, headers)
            except Exception as exc:  # every operation is walked; all failures are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
        walked.append(operation.label)
        assert time.monotonic() - started < TIME_LIMIT, f"over {TIME_LIMIT}s at {walked[-1]}"
    assert not failures, "\n\n".join(failures)
    assert len(walked) >= 30


MARK = "\u0000hostile\u0000"


def _marked(value):
    """The body with every number, and every string that reads as one, replaced by MARK."""
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_marked(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return MARK
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        return MARK
    return value


def hostile_body(body, how: str, number: str) -> bytes:
    if how == "deep":
        return b'{"x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    marked = json.dumps(_marked(body if body is not None else {}), default=str)
    return marked.replace(json.dumps(MARK), number).encode()


def test_hostile_json_bodies_are_answered_as_documented(company, bearer):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", company)
    headers = bearer("admin")
    with_bodies = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if "application/json" in operation.get_request_payload_content_types():
            with_bodies.append(operation)
    assert len(with_bodies) >= 5, [op.label for op in with_bodies]
    failures = []
    for operation in with_bodies:
        try:
            _send_hostile(operation, headers)
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def _send_hostile(operation, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
           how=st.sampled_from(["numbers", "numbers", "deep"]),
           number=st.sampled_from(HOSTILE_NUMBERS))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    def run(case, how, number):
        hostile = operation.Case(path_parameters=case.path_parameters, query=case.query,
                                 headers=dict(case.headers or {}),
                                 body=hostile_body(case.body, how, number),
                                 media_type="application/json")
        response = hostile.call_and_validate(headers=headers, checks=CHECKS)
        if how == "deep":
            assert response.status_code in (400, 413), response.text[:300]

    run()
