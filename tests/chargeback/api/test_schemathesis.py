"""Schemathesis against the app's own OpenAPI document, in process (WSGI), with a token.

Every operation gets a bounded number of generated requests (``EXAMPLES`` valid ones and
``EXAMPLES`` invalid ones, no per-example deadline, derandomised so a CI run is
repeatable); every answer must be no server error and must match the document: a
documented status code, the documented content type and headers, and a body valid
against the documented schema. Operations that change data run on this test's own
throwaway database (the company closed for 2026-03).

The operations are walked here rather than with ``schema.parametrize()``: its lazy
fixture loader does not run under pytest 9, and one walk builds the company only once.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
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
