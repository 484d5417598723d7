"""schemathesis against the served OpenAPI document: generated requests, zero server errors.

Every operation gets a bounded number of generated requests, schema-valid (positive) and
schema-violating (negative), sent over HTTP to a real server. Each response must not be a 5xx,
must have a documented status and content type, and must match its documented schema. The
examples are derandomized so that a failure reproduces.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.helpers.server import Server, running_server


MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    ledger = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    with running_server("--ledger", str(ledger), "--max-body-bytes", str(64 * 1024)) as running:
        yield running


def operations(server: Server) -> list[object]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 9
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_generated_requests_never_meet_a_server_error(server: Server, mode: GenerationMode) -> None:
    for operation in operations(server):
        raw = operation.definition.raw  # type: ignore[attr-defined]
        if mode is GenerationMode.NEGATIVE and not (raw.get("parameters") or raw.get("requestBody")):
            continue  # nothing to violate: GET /v1/health takes no input

        @given(case=operation.as_strategy(generation_mode=mode))  # type: ignore[attr-defined]
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, checks=CHECKS, timeout=30)

        check()
