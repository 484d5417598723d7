"""The parts of the contract added for generated clients and operators (issue 15).

- the submission schemas say what ``patternProperties`` say in a form generators keep, and
  validate exactly the same submissions as before;
- ``gaps`` and ``next_grade`` are named schemas with every field of the analysis's models;
- the provenance headers are declared and sent; operations are linked;
- a submission with many missing or invalid inputs is one 422 listing all of them (API and CLI);
- ``standards-kernel convert`` makes the JSON bodies the API takes;
- an unreachable ledger database is a 503 with Retry-After, declared in the document.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Iterator

import attrs
import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from standards_kernel.analysis.gaps import model as gaps_model
from standards_kernel.analysis.plan import NextGrade
from standards_kernel.interfaces.server.app import create_app
from standards_kernel.interfaces.server.schema import submission_schema
from standards_kernel.interfaces.server.service import ServerConfig
from standards_kernel.kernel.registry import default_registry
from tests.helpers import ROOT
from tests.helpers.server import COUNTIES, YUANJIANG, Server, cli, cli_main, running_server, submission_json

ASSET = ROOT / "src" / "standards_kernel" / "interfaces" / "server" / "assets" / "yuanjiang-2009.json"
PROVENANCE = ("Standards-Kernel-Standard", "Standards-Kernel-Standard-Sha256", "Standards-Kernel-Standard-Plugin",
              "Standards-Kernel-Plugins")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server("--ledger", str(tmp_path_factory.mktemp("ledger") / "ledger.sqlite3")) as running:
        yield running


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    return server.client.get("/openapi.json").json()  # type: ignore[no-any-return]


def validator(document: dict[str, Any], name: str) -> Any:
    return jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                               "components": document["components"]})


# --- inputs a generator keeps, with the same meaning ---------------------------------------------


def strict(schema: Any) -> Any:
    """The schema as it was before: patterns only, nothing else admitted."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items() if not (k == "propertyNames" and "patternProperties" in schema)}
    if "patternProperties" in schema:
        out["additionalProperties"] = False
    return out


def test_no_object_with_patterns_leaves_further_names_untyped(document: dict[str, Any]) -> None:
    def walk(schema: Any) -> Iterator[dict[str, Any]]:
        if isinstance(schema, dict):
            if "patternProperties" in schema:
                yield schema
            for value in schema.values():
                yield from walk(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from walk(value)

    found = list(walk(document["components"]["schemas"]["Submission"]))
    assert len(found) >= 4  # data, and each family nested (panel_scores, events, levels, funding)
    for schema in found:
        assert isinstance(schema["additionalProperties"], dict) and schema["additionalProperties"]
        assert "propertyNames" in schema
    data = document["components"]["schemas"]["Submission"]["properties"]["data"]
    # every family member an installed standard reads is a named property, flat and nested
    assert "panel_scores.government" in data["properties"]
    assert "government" in data["properties"]["panel_scores"]["properties"]


NAMES = st.sampled_from(["panel_scores", "events", "levels", "funding", "totals", "national", "nosuch"])
KEYS = st.one_of(
    st.builds(lambda a, b: f"{a}.{b}", NAMES, st.sampled_from(["government", "x", "building_area_m2", "a.b"])),
    NAMES, st.sampled_from(["satisfaction_rate", "dropouts.junior", "x"]))
VALUES = st.sampled_from([1, 0.5, -1, "92%", "text", True, None, {"government": 3}, {"x": {"y": 1}}])


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(KEYS, VALUES, max_size=5))
def test_the_friendly_schema_accepts_exactly_what_the_strict_one_accepts(data: dict[str, Any]) -> None:
    for schema in SCHEMAS:
        friendly = jsonschema_rs.Draft202012Validator(schema["properties"]["data"])
        before = jsonschema_rs.Draft202012Validator(strict(schema["properties"]["data"]))
        assert friendly.is_valid(data) == before.is_valid(data), data


REGISTRY = default_registry(warn=False)
SCHEMAS = [submission_schema(standards=REGISTRY.load_all()[0]),
           submission_schema(REGISTRY.get("yunnan.county-education@2009"))]


def test_every_fixture_still_validates_against_its_standards_schema(server: Server) -> None:
    for path in sorted(COUNTIES.glob("*/*.toml")):
        data = json.loads(submission_json(path))
        code, _ = cli_main("evaluate", str(path), "--format", "json")
        if code != 0:
            continue
        ref = data["evaluation"]["standard"]
        schema = server.client.get(f"/v1/standards/{ref}/schema", params={"as_of": data["evaluation"]["as_of"]})
        errors = [e.message for e in jsonschema_rs.Draft202012Validator(schema.json()).iter_errors(data)]
        assert errors == [], path


def test_evaluate_points_to_the_per_standard_schema(document: dict[str, Any]) -> None:
    evaluate = document["paths"]["/v1/evaluations"]["post"]
    assert "getSubmissionSchema" in evaluate["requestBody"]["description"]
    for status in ("200", "201", "422"):
        assert evaluate["responses"][status]["links"]["submissionSchema"]["operationId"] == "getSubmissionSchema"
    assert evaluate["responses"]["201"]["links"]["record"]["parameters"] == {"decision_id": "$response.body#/decision_id"}
    ids = {op["operationId"] for item in document["paths"].values() for op in item.values()}
    for item in document["paths"].values():
        for op in item.values():
            for answer in op["responses"].values():
                for link in answer.get("links", {}).values():
                    assert link["operationId"] in ids


# --- the typed gaps and next grade -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls", "renamed"), [
    ("ResultGap", gaps_model.Gap, {}), ("ResultTarget", gaps_model.Target, {}),
    ("ResultFix", gaps_model.Fix, {"type": None, "lever": None, "held": None}),  # never written
    ("ResultNextGrade", NextGrade, {"current": "from", "target": "to", "candidates": None, "evaluated": None}),
])
def test_the_analysis_parts_have_every_field_of_their_model(document: dict[str, Any], name: str, cls: type,
                                                             renamed: dict[str, str | None]) -> None:
    schema = document["components"]["schemas"][name]
    keys = {renamed.get(f.name, f.name) for f in attrs.fields(cls)} - {None}
    assert keys <= set(schema["properties"]) and schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    result = document["components"]["schemas"]["EvaluationResult"]["properties"]
    assert result["gaps"] == {"type": "array", "items": {"$ref": "#/components/schemas/ResultGap"}}
    assert result["next_grade"] == {"$ref": "#/components/schemas/ResultNextGrade"}


def test_the_gaps_schema_refuses_what_a_gap_is_not(document: dict[str, Any]) -> None:
    code, printed = cli_main("evaluate", str(YUANJIANG), "--format", "json")
    result = json.loads(printed)
    check = validator(document, "EvaluationResult")
    assert code == 0 and result["gaps"] and check.is_valid(result)
    for broken in ({"unknown": 1}, {"closable": "maybe"}, {"targets": "none"}):
        changed = copy.deepcopy(result)
        changed["gaps"][0].update(broken)
        assert not check.is_valid(changed), broken
    changed = copy.deepcopy(result)
    del changed["next_grade"]["status"]
    assert not check.is_valid(changed)


# --- provenance ----------------------------------------------------------------------------------


def test_evaluations_say_which_standard_and_plugins_answered(server: Server, document: dict[str, Any]) -> None:
    response = server.client.post("/v1/evaluations", content=ASSET.read_bytes())
    assert response.status_code == 200
    declared = document["paths"]["/v1/evaluations"]["post"]["responses"]["200"]["headers"]
    for name in PROVENANCE:
        assert re.fullmatch(declared[name]["schema"]["pattern"], response.headers[name]), name
    assert response.headers["Standards-Kernel-Standard-Plugin"] == "yunnan standards-kernel/" + \
        next(p["version"] for p in server.client.get("/v1/health").json()["plugins"] if p["name"] == "yunnan")
    health = server.client.get("/v1/health").json()
    assert response.headers["Standards-Kernel-Plugins"] == ", ".join(
        f"{p['name']} {p['distribution'].replace(' ', '-')}/{p['version']}" for p in health["plugins"])
    batch = server.client.post("/v1/evaluations/batch", content=b"[" + ASSET.read_bytes() + b"]")
    assert batch.headers["Standards-Kernel-Plugins"] == response.headers["Standards-Kernel-Plugins"]
    assert "Standards-Kernel-Plugins" in document["paths"]["/v1/evaluations/batch"]["post"]["responses"]["200"]["headers"]


# --- all problems at once --------------------------------------------------------------------------


def test_ten_missing_inputs_are_one_422_in_the_api_and_one_error_in_the_cli(server: Server, tmp_path: Path) -> None:
    data = json.loads(ASSET.read_text("utf-8"))
    data["data"] = {"dropout_rate.junior": "lots"}
    response = server.client.post("/v1/evaluations", content=json.dumps(data))
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "/problems/invalid-submission"
    errors = problem["errors"]
    assert len(errors) >= 10 and problem["path"] == errors[0]["path"]
    assert errors[0] == {"path": "data.dropout_rate.junior", "problem": "invalid", "detail": errors[0]["detail"],
                         "expected": errors[0]["expected"], **({"hint": errors[0]["hint"]} if "hint" in errors[0] else {})}
    assert {e["problem"] for e in errors[1:]} == {"missing"}
    problem_schema = validator(server.client.get("/openapi.json").json(), "Problem")
    assert problem_schema.is_valid(problem)
    submission = tmp_path / "county.json"
    submission.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    run = cli("evaluate", str(submission))
    assert run.returncode == 2 and run.stdout == "" and run.stderr.count("\n") == 1
    assert f"{len(errors)} inputs are missing or invalid" in run.stderr
    for error in errors:
        assert error["path"] in run.stderr


# --- convert ---------------------------------------------------------------------------------------


def test_convert_gives_the_body_the_api_takes(server: Server, tmp_path: Path) -> None:
    code, printed = cli_main("convert", str(YUANJIANG))
    assert code == 0 and printed.encode("utf-8") == ASSET.read_bytes()  # the shipped example, byte for byte
    counties = [p for p in sorted(COUNTIES.glob("*/*.toml")) if cli_main("evaluate", str(p))[0] == 0][:4]
    code, lines = cli_main("convert", *map(str, counties), "--out", str(tmp_path / "batch.ndjson"))
    assert code == 0 and lines == ""
    body = (tmp_path / "batch.ndjson").read_bytes()
    assert body.count(b"\n") == len(counties)
    answer = server.client.post("/v1/evaluations/batch", content=body, headers={"Content-Type": "application/x-ndjson"})
    for path, line in zip(counties, answer.content.splitlines()):
        assert line.decode("utf-8") == cli_main("evaluate", str(path), "--format", "json")[1].rstrip("\n")


def test_convert_names_every_bad_value_and_its_line(tmp_path: Path) -> None:
    text = YUANJIANG.read_text("utf-8").replace("building_area_m2 = 281209", "building_area_m2 = -5")
    text = text.replace('"enrolment_rate.junior" = "92.37%"', '"enrolment_rate.junior" = 7')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, "utf-8")
    run = cli("convert", str(bad))
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    lines = text.splitlines()
    found = re.findall(r"line (\d+): ([^:]+):", run.stderr)
    assert [p for _, p in found] == ["data.totals.building_area_m2", "townships[0].enrolment_rate.junior"]
    assert "-5" in lines[int(found[0][0]) - 1] and "= 7" in lines[int(found[1][0]) - 1]


# --- the ledger's database away: 503 ----------------------------------------------------------------


# The app is built in this process (``serve --ledger`` takes a file): Litestar's deprecation
# notices about parameter declaration styles are not this test's subject.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_unreachable_ledger_database_is_503_with_retry_after() -> None:
    app = create_app(ServerConfig(ledger="postgresql://nobody@127.0.0.1:9/none"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        document = client.get("/openapi.json").json()
        for path, method in (("/v1/records/0123456789abcdef", "get"), ("/v1/evaluations?record=true", "post")):
            call = getattr(client, method)
            response = (call(path, content=ASSET.read_bytes(), headers={"Content-Type": "application/json"})
                        if method == "post" else call(path))
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"] == "/problems/ledger-unavailable"
            assert int(response.headers["Retry-After"]) > 0
        for path, method in (("/v1/evaluations", "post"), ("/v1/records/{decision_id}", "get"),
                             ("/v1/records/{decision_id}/replay", "post")):
            declared = document["paths"][path][method]["responses"]["503"]
            assert declared["headers"]["Retry-After"]["schema"]["pattern"] == "^[0-9]+$"
        assert client.get("/problems/ledger-unavailable").json()["status"] == 503
