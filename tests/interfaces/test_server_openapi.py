"""The served OpenAPI document as a contract: valid OpenAPI 3.1, stable operation ids and tags,
every response header declared with a schema, and examples that are what the server answers.

The document is fetched from a real server (``standards-kernel serve`` on a free port) and checked
with openapi-spec-validator.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import typing
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from standards_kernel import __version__
from standards_kernel.interfaces.server.models import DECIMAL_PATTERN
from standards_kernel.kernel import model as m
from standards_kernel.kernel.numbers import canonical
from tests.helpers import ROOT
from tests.helpers.server import COUNTIES, YUANJIANG, Server, cli_main, running_server, submission_json

#: The hand-chosen operation ids: a client's method names. Changing one breaks generated clients.
OPERATIONS = {
    ("get", "/v1/health"): "getHealth",
    ("get", "/v1/standards"): "listStandards",
    ("get", "/v1/standards/{ref}"): "getStandard",
    ("get", "/v1/standards/{ref}/schema"): "getSubmissionSchema",
    ("post", "/v1/evaluations"): "evaluate",
    ("post", "/v1/evaluations/batch"): "evaluateBatch",
    ("get", "/v1/records/{decision_id}"): "getRecord",
    ("post", "/v1/records/{decision_id}/replay"): "replayRecord",
    ("get", "/problems/{slug}"): "getProblemType",
}
VERSION = "Standards-Kernel-Version"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    ledger = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    with running_server("--ledger", str(ledger)) as running:
        yield running


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    response = server.client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def schema_validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator of ``schema`` that resolves the document's ``#/components/...`` references."""
    return jsonschema_rs.Draft202012Validator({**schema, "components": document["components"]})


# --- valid OpenAPI 3.1 -----------------------------------------------------------------------


def test_the_served_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on the first error


def test_the_validator_catches_a_header_without_a_schema(document: dict[str, Any]) -> None:
    # What the document looked like before: a header with a description only. The check above is
    # only worth something if the validator refuses that.
    broken = copy.deepcopy(document)
    broken["paths"]["/v1/evaluations"]["post"]["responses"]["200"]["headers"][VERSION] = {"description": "x"}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_operation_has_its_hand_chosen_id_and_a_declared_tag(document: dict[str, Any]) -> None:
    found = {(method, path): op.get("operationId") for method, path, op in operations(document)}
    assert found == OPERATIONS
    declared = {tag["name"] for tag in document["tags"]}
    for _, _, operation in operations(document):
        assert operation["tags"] and set(operation["tags"]) <= declared
        assert re.fullmatch(r"[a-z][A-Za-z]+", operation["operationId"])  # not Litestar's V1EvaluationsEvaluateOne


def test_every_response_declares_the_version_header(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            header = answer["headers"][VERSION]
            assert header["required"] is True and header["schema"]["type"] == "string", (method, path, status)
            for name, declared in answer["headers"].items():
                assert "schema" in declared or "content" in declared, (method, path, status, name)


def test_the_headers_a_recorded_evaluation_sends_are_the_declared_ones(server: Server,
                                                                     document: dict[str, Any]) -> None:
    declared = document["paths"]["/v1/evaluations"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "Standards-Kernel-Decision-Id", "Standards-Kernel-Standard",
            "Standards-Kernel-Standard-Sha256", VERSION} <= set(declared)
    response = server.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                                  headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    for name, header in declared.items():
        assert schema_validator(document, header["schema"]).is_valid(response.headers[name]), name
    assert response.headers[VERSION] == __version__
    body = response.json()
    assert body["decision_id"] == response.headers["standards-kernel-decision-id"]
    assert body["location"] == response.headers["location"]
    record = server.client.get(body["location"])
    assert record.status_code == 200 and record.json()["decision_id"] == body["decision_id"]
    assert schema_validator(document, {"$ref": "#/components/schemas/RecordedEvaluation"}).is_valid(body)


# --- examples --------------------------------------------------------------------------------


def examples_of(content: dict[str, Any]) -> list[Any]:
    return [example["value"] for example in content.get("examples", {}).values()]


def test_every_operation_has_an_example_request_and_response(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        if "requestBody" in operation:
            for media, content in operation["requestBody"]["content"].items():
                assert examples_of(content), (method, path, media)
        for parameter in operation.get("parameters", []):
            if parameter.get("required"):
                assert parameter.get("examples"), (method, path, parameter["name"])
        success = [c for s, a in operation["responses"].items() if s.startswith("2") for c in a["content"].values()]
        assert success and all(examples_of(c) for c in success), (method, path)


def test_every_example_validates_against_its_schema(document: dict[str, Any]) -> None:
    checked = 0
    for method, path, operation in operations(document):
        contents = [*operation.get("requestBody", {}).get("content", {}).items(),
                    *((media, c) for a in operation["responses"].values() for media, c in a.get("content", {}).items())]
        for media, content in contents:
            validator = schema_validator(document, content["schema"])
            for value in examples_of(content):
                lines = [json.loads(line) for line in value.splitlines()] if media == "application/x-ndjson" else [value]
                for item in lines:
                    errors = [str(e) for e in validator.iter_errors(item)]
                    assert errors == [], (method, path, media, errors[:3])
                    checked += 1
    assert checked >= 15
    # The validator is not blind: the example result without its grade is refused.
    result = document["paths"]["/v1/evaluations"]["post"]["responses"]["200"]["content"]["application/json"]
    spoiled = {k: v for k, v in examples_of(result)[0].items() if k != "grade"}
    assert not schema_validator(document, result["schema"]).is_valid(spoiled)


def test_the_example_submission_is_the_yuanjiang_fixture(document: dict[str, Any]) -> None:
    shipped = resources.files("standards_kernel.interfaces.server") / "assets" / "yuanjiang-2009.json"
    exact = json.loads(shipped.read_text(encoding="utf-8"), parse_float=Decimal)
    assert exact == json.loads(submission_json(YUANJIANG), parse_float=Decimal)
    request = document["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]
    assert examples_of(request) == [json.loads(submission_json(YUANJIANG))]
    assert examples_of(request)[0]["county"]["name"] == "元江哈尼族彝族傣族自治县"


def example(document: dict[str, Any], method: str, path: str, status: str, media: str) -> Any:
    content = document["paths"][path][method]["responses"][status]["content"][media]
    return examples_of(content)[0]


def test_the_examples_are_what_the_server_answers(server: Server, document: dict[str, Any]) -> None:
    evaluate = document["paths"]["/v1/evaluations"]["post"]
    body = examples_of(evaluate["requestBody"]["content"]["application/json"])[0]
    scored = server.client.post("/v1/evaluations", json=body)
    assert scored.status_code == 200
    assert scored.json() == example(document, "post", "/v1/evaluations", "200", "application/json")
    assert scored.json()["grade"] == "qualified" and scored.json()["score"] == "91.5"
    recorded = example(document, "post", "/v1/evaluations", "201", "application/json")
    assert recorded["result"] == scored.json() and recorded["location"] == f"/v1/records/{recorded['decision_id']}"

    bad = copy.deepcopy(body)
    bad["data"]["totals"]["building_area_m2"] = "a lot"
    problem = server.client.post("/v1/evaluations", json=bad).json()
    assert problem == example(document, "post", "/v1/evaluations", "422", "application/problem+json")

    batch = server.client.post("/v1/evaluations/batch", json=[body])
    assert batch.text == example(document, "post", "/v1/evaluations/batch", "200", "application/x-ndjson")

    ref = document["paths"]["/v1/standards/{ref}"]["get"]["parameters"][0]["examples"]
    key = next(iter(ref.values()))["value"]
    assert key == "yunnan.county-education@2009"
    for path, address in (("/v1/standards/{ref}", f"/v1/standards/{key}"), ("/v1/standards", "/v1/standards"),
                          ("/v1/health", "/v1/health"), ("/problems/{slug}", "/problems/invalid-submission")):
        assert server.client.get(address).json() == example(document, "get", path, "200", "application/json"), path
    schema = server.client.get(f"/v1/standards/{key}/schema").json()
    assert schema == example(document, "get", "/v1/standards/{ref}/schema", "200", "application/schema+json")


def test_the_record_and_replay_examples_are_of_the_example_evaluation(document: dict[str, Any]) -> None:
    record = example(document, "get", "/v1/records/{decision_id}", "200", "application/json")
    replayed = example(document, "post", "/v1/records/{decision_id}/replay", "200", "application/json")
    result = example(document, "post", "/v1/evaluations", "200", "application/json")
    recorded = example(document, "post", "/v1/evaluations", "201", "application/json")
    assert record["body"]["result"] == result
    assert record["decision_id"] == recorded["decision_id"] == replayed["decision_id"]
    assert replayed["identical"] is True and replayed["differences"] == []


# --- the docs' example -------------------------------------------------------------------------


def test_the_curl_example_of_the_docs_runs_as_written(server: Server, tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Scoring one submission"):]
    block = section[section.index("```sh\n") + 6:section.index("```", section.index("```sh\n") + 6)]
    assert "curl" in block and "http://127.0.0.1:8000" in block and "standards-kernel convert" in block
    shutil.copy(YUANJIANG, tmp_path / YUANJIANG.name)  # the reader's own submission file
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # standards-kernel
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", block.replace("http://127.0.0.1:8000", server.url)],
                         cwd=tmp_path, capture_output=True, check=False, env={**os.environ, "PATH": path})
    assert run.returncode == 0, run.stderr
    code, printed = cli_main("evaluate", str(YUANJIANG), "--format", "json")
    assert code == 0 and run.stdout.decode("utf-8") == printed.rstrip("\n")


# --- the typed result ----------------------------------------------------------------------------

PARTS = ("ResultIndicator", "ResultUnitReading", "ResultRule", "ResultArea", "ResultGrade", "ResultSource",
         "ResultParameter", "Decimal")


def test_every_fixture_result_matches_the_typed_result(server: Server, document: dict[str, Any]) -> None:
    validator = schema_validator(document, {"$ref": "#/components/schemas/EvaluationResult"})
    scored = 0
    for fixture in sorted(COUNTIES.rglob("*.toml")):
        response = server.client.post("/v1/evaluations", content=submission_json(fixture))
        if response.status_code == 200:
            errors = [str(e) for e in validator.iter_errors(response.json())]
            assert errors == [], (fixture.name, errors[:3])
            scored += 1
    assert scored >= 20


def test_the_result_schema_names_its_parts_and_refuses_what_is_not_the_result(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(PARTS) <= set(schemas)
    result = schemas["EvaluationResult"]["properties"]
    assert result["indicators"]["additionalProperties"] == {"$ref": "#/components/schemas/ResultIndicator"}
    assert result["vetoes"]["additionalProperties"] == {"$ref": "#/components/schemas/ResultRule"}
    assert result["score"] == {"$ref": "#/components/schemas/Decimal"}
    assert schemas["ResultIndicator"]["properties"]["units"]["additionalProperties"] == {
        "$ref": "#/components/schemas/ResultUnitReading"}
    assert set(schemas["ResultIndicator"]["required"]) == {"label", "level", "unit", "how"}

    validator = schema_validator(document, {"$ref": "#/components/schemas/EvaluationResult"})
    good = example(document, "post", "/v1/evaluations", "200", "application/json")
    assert validator.is_valid(good)
    spoilers: list[Any] = [
        lambda r: r.update(score=91.5),  # a binary float instead of the exact text
        lambda r: r.update(score="9.15E+1"),  # not the canonical text
        lambda r: r["indicators"]["d_class_ratio"].update(surprise=1),  # a key the result never writes
        lambda r: r["indicators"]["d_class_ratio"].pop("how"),  # a key the result always writes
        lambda r: r["vetoes"]["d_class_buildings"].update(effect="lower"),  # not one of the kernel's effects
        lambda r: r["areas"][next(iter(r["areas"]))].update(points="14.0"),
        lambda r: r["grades"][0].pop("label"),
    ]
    for spoil in spoilers:
        spoiled = copy.deepcopy(good)
        spoil(spoiled)
        assert not validator.is_valid(spoiled), spoiled


def test_the_parts_take_their_types_from_the_kernel_model(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ResultRule"]["properties"]["effect"]["enum"] == list(typing.get_args(
        typing.get_type_hints(m.Rule)["effect"]))
    assert schemas["ResultParameter"]["properties"]["status"]["enum"] == list(typing.get_args(
        typing.get_type_hints(m.Citation)["status"]))
    assert schemas["ResultIndicator"]["properties"]["scoring"]["enum"] == list(typing.get_args(
        typing.get_type_hints(m.Scoring)["kind"]))
    assert schemas["ResultArea"]["properties"]["max"] == {"$ref": "#/components/schemas/Decimal"}


@given(st.decimals(allow_nan=False, allow_infinity=False) | st.integers())
@settings(max_examples=300, deadline=None)
def test_the_decimal_pattern_is_the_canonical_text(value: Decimal | int) -> None:
    text = canonical(value)
    assert re.fullmatch(DECIMAL_PATTERN, text), text
    if isinstance(value, Decimal):
        assert canonical(Decimal(text)) == text  # the text is its own canonical form
    if isinstance(value, Decimal) and value != 0:
        assert not re.fullmatch(DECIMAL_PATTERN, f"{value:E}")  # an exponent is never canonical
