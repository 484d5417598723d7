"""The HTTP API, tested over HTTP against a real server on a free loopback port."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any, Iterator

import attrs
import jsonschema_rs
import pytest

from standards_kernel import __version__
from standards_kernel.kernel import model as m
from standards_kernel.audit.records import EvaluationRecord
from tests.helpers.server import COUNTIES, YUANJIANG, Server, cli, cli_main, running_server, submission_json

LIMIT = 256 * 1024
FIXTURES = sorted(COUNTIES.rglob("*.toml"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    ledger = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    with running_server("--ledger", str(ledger), "--max-body-bytes", str(LIMIT)) as running:
        yield running


def yuanjiang() -> dict[str, Any]:
    return json.loads(submission_json(YUANJIANG))


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == f"/problems/{slug}"
    assert body["kernel_version"] == __version__
    assert body["title"] and body["detail"]
    return body


# --- service ---------------------------------------------------------------------------------


def test_health_names_the_kernel_and_its_plugins(server: Server) -> None:
    response = server.client.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["kernel_version"] == __version__
    assert body["ledger"] is True
    assert body["standards"] >= 3
    assert "yunnan" in {p["name"] for p in body["plugins"]}


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/health"), ("GET", "/v1/standards"), ("GET", "/openapi.json"), ("GET", "/docs"),
    ("GET", "/docs/assets/docs.js"), ("GET", "/nowhere"), ("DELETE", "/v1/standards"),
    ("POST", "/v1/evaluations"), ("GET", "/v1/records/0123456789abcdef"), ("GET", "/problems/invalid-submission"),
])
def test_every_response_carries_the_kernel_version(server: Server, method: str, path: str) -> None:
    response = server.client.request(method, path, content=b"{" if method == "POST" else None)
    assert response.headers["standards-kernel-version"] == __version__


def test_problem_types_are_served(server: Server) -> None:
    body = problem(server.client.post("/v1/evaluations", content=b"{"), 400, "malformed-body")
    described = server.client.get(body["type"])
    assert described.status_code == 200
    assert described.json()["status"] == 400 and described.json()["title"] == body["title"]
    problem(server.client.get("/problems/no-such-thing"), 404, "not-found")


def test_the_server_binds_loopback_only_by_default(server: Server) -> None:
    # The fixture starts `serve` without --host: the socket must be on 127.0.0.1.
    bound = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if Path(table).exists():
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port = local.rsplit(":", 1)
                if int(port, 16) == server.port and state == "0A":  # LISTEN
                    bound.add(address)
    if not bound:
        pytest.skip("this system does not expose /proc/net/tcp")
    assert bound == {"0100007F"}  # 127.0.0.1, little-endian hex


# --- standards -------------------------------------------------------------------------------


def test_standards_list_every_edition_with_exact_numbers_as_text(server: Server) -> None:
    body = server.client.get("/v1/standards").json()
    assert body["kernel_version"] == __version__
    keys = [s["key"] for s in body["standards"]]
    assert "yunnan.county-education@2009" in keys
    assert keys.count("national.basic-balance@2012") == 1
    yunnan = next(s for s in body["standards"] if s["key"] == "yunnan.county-education@2009")
    assert yunnan["max_score"] == "100" and isinstance(yunnan["sha256"], str) and len(yunnan["sha256"]) == 64
    assert yunnan["effective_from"] == "2006-01-01"


def test_a_standard_shows_parameters_with_sources_and_statuses(server: Server) -> None:
    body = server.client.get("/v1/standards/yunnan.county-education").json()
    assert body["id"] == "yunnan.county-education"
    (edition,) = body["editions"]
    limit = edition["parameters"]["d_class_limit"]
    (value,) = limit["values"]
    assert value["value"] == "0.03"  # a decimal as text, never a float
    assert value["citation"]["status"] == "corroborated" and value["citation"]["source"] == "yuanjiang_2009"
    assert edition["parameters"]["advanced_cutoff"]["values"][0]["citation"]["status"] == "assumed"
    assert "yuanjiang_2009" in edition["sources"]
    assert edition["indicators"] and edition["rules"] and edition["grades"]
    assert "content" not in edition and "file" not in edition  # internals stay inside


def test_an_id_lists_its_editions_and_id_at_edition_one(server: Server) -> None:
    every = server.client.get("/v1/standards/national.basic-balance").json()["editions"]
    assert len(every) >= 2
    one = server.client.get("/v1/standards/national.basic-balance@2012").json()["editions"]
    assert [e["key"] for e in one] == ["national.basic-balance@2012"]
    problem(server.client.get("/v1/standards/national.basic-balance@1999"), 404, "unknown-standard")
    body = problem(server.client.get("/v1/standards/no.such-standard"), 404, "unknown-standard")
    assert "yunnan.county-education" in body["hint"]


def test_a_reference_that_looks_like_a_path_is_never_opened(server: Server, tmp_path: Path) -> None:
    problem(server.client.get("/v1/standards/county-education-2009.toml"), 404, "unknown-standard")
    escaped = server.client.get("/v1/standards/..%2Fprovinces%2Fyunnan%2Fcounty-education-2009.toml")
    assert escaped.status_code == 404 and escaped.json()["type"] in ("/problems/not-found", "/problems/unknown-standard")
    data = yuanjiang()
    response = server.client.post("/v1/evaluations", params={"standard": "provinces/yunnan/county-education-2009.toml"},
                                  content=json.dumps(data))
    problem(response, 404, "unknown-standard")


def test_the_submission_schema_accepts_the_fixture_and_names_what_is_missing(server: Server) -> None:
    response = server.client.get("/v1/standards/yunnan.county-education@2009/schema")
    assert response.status_code == 200
    schema = response.json()
    validator = jsonschema_rs.Draft202012Validator(schema)
    data = yuanjiang()
    assert validator.is_valid(data), [e.message for e in validator.iter_errors(data)]
    flat = dict(data, data={**{f"panel_scores.{k}": v for k, v in data["data"]["panel_scores"].items()},
                            "totals.building_area_m2": 1, "totals.dilapidated_d_area_m2": 0,
                            "dropout_rate.junior": "2.59%"})
    assert validator.is_valid(flat)
    del data["data"]["panel_scores"]["teachers"]
    assert not validator.is_valid(data)
    assert schema["properties"]["data"]["properties"]["panel_scores.teachers"]["x-read-by"] == ["panel_teachers"]
    assert schema["x-standard"]["sha256"] == response.headers.get("standards-kernel-standard-sha256", schema["x-standard"]["sha256"])


def test_the_schema_of_a_standard_with_editions_follows_the_date(server: Server) -> None:
    old = server.client.get("/v1/standards/national.basic-balance/schema", params={"as_of": "2013-01-01"}).json()
    assert old["x-standard"]["edition"] == "2012"
    problem(server.client.get("/v1/standards/national.basic-balance/schema", params={"as_of": "1990-01-01"}),
            404, "unknown-standard")


# --- evaluations: the result is the CLI's, byte for byte ---------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_the_api_and_the_cli_give_byte_identical_results(server: Server, fixture: Path, tmp_path: Path) -> None:
    body = submission_json(fixture)
    as_json = tmp_path / "submission.json"
    as_json.write_bytes(body)
    (code, from_toml), (_, from_json) = cli_main("evaluate", str(fixture), "--format", "json"), cli_main(
        "evaluate", str(as_json), "--format", "json")
    response = server.client.post("/v1/evaluations", content=body)
    if code != 0:  # a fixture of bad input: both refuse it
        assert response.status_code in (404, 422), response.text
        return
    assert response.status_code == 200, response.text
    assert response.content.decode("utf-8") + "\n" == from_toml == from_json
    result = response.json()
    assert response.headers["standards-kernel-standard"] == f"{result['standard']['id']}@{result['standard']['edition']}"
    assert response.headers["standards-kernel-standard-sha256"] == result["standard"]["sha256"]
    assert result["kernel_version"] == __version__


def test_the_yuanjiang_result_is_what_the_installed_command_prints(server: Server) -> None:
    response = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG))
    command = cli("evaluate", str(YUANJIANG), "--format", "json")
    assert command.returncode == 0 and command.stdout == response.text + "\n"
    result = response.json()
    assert (result["score"], result["grade_by_score"], result["grade"]) == ("91.5", "advanced", "qualified")
    assert result["standard"]["id"] == "yunnan.county-education" and result["standard"]["edition"] == "2009"


def test_numbers_as_text_or_as_numbers_are_read_exactly(server: Server) -> None:
    as_numbers = yuanjiang()
    as_text = json.loads(json.dumps(as_numbers), parse_float=str, parse_int=str)
    as_text["county"] = as_numbers["county"]
    a = server.client.post("/v1/evaluations", content=json.dumps(as_numbers))
    b = server.client.post("/v1/evaluations", content=json.dumps(as_text))
    assert a.status_code == b.status_code == 200, b.text
    assert a.content == b.content
    # A value a binary float cannot hold survives to the last digit.
    digits = "45584.000000000000000000001"
    raw = submission_json(YUANJIANG).decode().replace("45584", digits)
    result = server.client.post("/v1/evaluations", content=raw).json()
    reads = result["indicators"]["d_class_ratio"]["reads"]
    assert reads["totals.dilapidated_d_area_m2"] == digits


def test_standard_and_date_can_be_given_in_the_query(server: Server) -> None:
    data = yuanjiang()
    del data["evaluation"]["standard"], data["evaluation"]["as_of"]
    problem(server.client.post("/v1/evaluations", content=json.dumps(data)), 422, "invalid-submission")
    response = server.client.post("/v1/evaluations", params={"standard": "yunnan.county-education", "as_of": "2009-05-13"},
                                  content=json.dumps(data))
    assert response.status_code == 200, response.text
    assert response.json()["as_of"] == "2009-05-13"
    late = server.client.post("/v1/evaluations", params={"standard": "yunnan.county-education", "as_of": "2030-01-01"},
                              content=json.dumps(data))
    assert "no edition" in problem(late, 404, "unknown-standard")["detail"]
    pinned = server.client.post("/v1/evaluations", params={"standard": "yunnan.county-education@2009", "as_of": "2030-01-01"},
                                content=json.dumps(data))
    problem(pinned, 422, "cannot-evaluate")


# --- errors ----------------------------------------------------------------------------------


def test_malformed_bodies_are_400_with_the_place(server: Server) -> None:
    body = problem(server.client.post("/v1/evaluations", content=b'{\n  "county": {,\n}'), 400, "malformed-body")
    assert (body["line"], body["column"]) == (2, 14)
    problem(server.client.post("/v1/evaluations", content=b""), 400, "malformed-body")
    problem(server.client.post("/v1/evaluations", content=b"\xff\xfe{}"), 400, "malformed-body")
    problem(server.client.post("/v1/evaluations", content=b'{"data": {"x": NaN}}'), 400, "malformed-body")
    problem(server.client.post("/v1/evaluations", content=b"[" * 100_000), 400, "malformed-body")
    body = problem(server.client.post("/v1/evaluations", content=b'{"data": {"x": ' + b"9" * 5000 + b"}}"),
                   400, "malformed-body")
    assert "digits" in body["detail"]


def test_bad_query_parameters_are_400_naming_the_parameter(server: Server) -> None:
    body = problem(server.client.post("/v1/evaluations", params={"as_of": "2009-13-01"}, content=b"{}"),
                   400, "invalid-parameter")
    assert body["path"] == "query.as_of"
    problem(server.client.post("/v1/evaluations", params={"record": "perhaps"}, content=b"{}"), 400, "invalid-parameter")


def test_an_invalid_submission_is_422_naming_the_field(server: Server) -> None:
    data = yuanjiang()
    data["schools"] = [{"id": f"s{i}", "students": {"primary": 10}} for i in range(3)] + [{"id": "s3"}]
    body = problem(server.client.post("/v1/evaluations", content=json.dumps(data)), 422, "invalid-submission")
    assert body["path"] == "schools[3].students"
    assert "hint" in body
    data = yuanjiang()
    data["data"]["panel_scores"]["teachers"] = -1
    body = problem(server.client.post("/v1/evaluations", content=json.dumps(data)), 422, "invalid-submission")
    assert body["path"] == "data.panel_scores.teachers"
    data = yuanjiang()
    data["data"]["totals"]["building_area_m2x"] = 1
    body = problem(server.client.post("/v1/evaluations", content=json.dumps(data)), 422, "invalid-submission")
    assert body["path"] == "data.totals.building_area_m2x" and "did you mean" in body["hint"]
    del data["data"]["totals"]
    body = problem(server.client.post("/v1/evaluations", content=json.dumps(yuanjiang() | {"data": {}})), 422,
                   "invalid-submission")
    assert body["path"].startswith("data.")


@pytest.mark.parametrize("body", [b"[]", b"3", b'"text"', b"null", b'{"schools": 3}', b'{"evaluation": {"as_of": 5}}'])
def test_well_formed_json_of_the_wrong_shape_is_422(server: Server, body: bytes) -> None:
    problem(server.client.post("/v1/evaluations", content=body), 422, "invalid-submission")


def test_numbers_out_of_range_are_bad_input_not_a_crash_or_a_hang(server: Server) -> None:
    for value in ("1E+999999999", '"1E+999999"', "1E+10000", '"1e-101"', "-1E+200", '"1E+999%"'):
        raw = submission_json(YUANJIANG).decode().replace("45584", value, 1)
        body = problem(server.client.post("/v1/evaluations", content=raw), 422, "invalid-submission")
        assert body["path"] == "data.totals.dilapidated_d_area_m2"
    beyond = submission_json(YUANJIANG).decode().replace("45584", "1E+9999999999999999999", 1)
    problem(server.client.post("/v1/evaluations", content=beyond), 400, "malformed-body")
    # The kernel's range (numbers.MIN_EXPONENT to MAX_EXPONENT) is the one bound, for CLI and API alike.
    large = submission_json(YUANJIANG).decode().replace("281209", "1E+30", 1)
    assert server.client.post("/v1/evaluations", content=large).status_code == 200


def test_a_body_over_the_limit_is_413(server: Server) -> None:
    body = problem(server.client.post("/v1/evaluations", content=b" " * (LIMIT + 1)), 413, "body-too-large")
    assert str(LIMIT) in body["hint"]


def test_unknown_routes_and_methods(server: Server) -> None:
    problem(server.client.get("/v2/standards"), 404, "not-found")
    problem(server.client.delete("/v1/standards"), 405, "method-not-allowed")


# --- batch -----------------------------------------------------------------------------------


def batch_lines(response: Any) -> list[bytes]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return response.content.split(b"\n")[:-1]


def test_a_batch_streams_results_in_order_with_problems_in_place(server: Server) -> None:
    single = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG)).content
    bad = yuanjiang()
    bad["data"]["panel_scores"]["teachers"] = "many"
    items = [yuanjiang(), bad, 7, yuanjiang()]
    lines = batch_lines(server.client.post("/v1/evaluations/batch", content=json.dumps(items)))
    assert len(lines) == 4
    assert lines[0] == lines[3] == single  # each result is byte-identical to a single evaluation
    failed = json.loads(lines[1])
    assert (failed["index"], failed["status"], failed["path"]) == (1, 422, "data.panel_scores.teachers")
    assert json.loads(lines[2])["index"] == 2


def test_an_ndjson_batch_is_read_line_by_line(server: Server) -> None:
    line = submission_json(YUANJIANG)

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked, as a stream
        yield line + b"\n"
        yield b"{not json\n\n"
        yield line[:50]
        yield line[50:]

    response = server.client.post("/v1/evaluations/batch", content=chunks(),
                                  headers={"content-type": "application/x-ndjson"})
    lines = batch_lines(response)
    assert len(lines) == 3
    assert json.loads(lines[0])["grade"] == json.loads(lines[2])["grade"] == "qualified"
    failed = json.loads(lines[1])
    assert (failed["index"], failed["status"], failed["line"]) == (1, 400, 2)


def test_a_batch_as_a_json_array(server: Server) -> None:
    response = server.client.post("/v1/evaluations/batch", content=json.dumps([yuanjiang()] * 2),
                                  headers={"accept": "application/json"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert [r["score"] for r in response.json()] == ["91.5", "91.5"]


def test_batch_bodies_that_are_not_a_list(server: Server) -> None:
    problem(server.client.post("/v1/evaluations/batch", content=json.dumps(yuanjiang())), 422, "invalid-submission")
    problem(server.client.post("/v1/evaluations/batch", content=b"[{"), 400, "malformed-body")
    problem(server.client.post("/v1/evaluations/batch", content=b"x" * (LIMIT + 1),
                               headers={"content-type": "application/x-ndjson"}), 413, "body-too-large")


def test_a_streamed_batch_past_the_limit_ends_with_a_413_line(server: Server) -> None:
    line = submission_json(YUANJIANG) + b"\n"
    count = LIMIT // len(line) + 3

    def chunks() -> Iterator[bytes]:
        for _ in range(count):
            yield line

    lines = batch_lines(server.client.post("/v1/evaluations/batch", content=chunks(),
                                           headers={"content-type": "application/x-ndjson"}))
    last = json.loads(lines[-1])
    assert last["status"] == 413 and last["type"] == "/problems/body-too-large"
    assert all(json.loads(x)["grade"] == "qualified" for x in lines[:-1])
    assert 0 < len(lines) - 1 < count


# --- records ---------------------------------------------------------------------------------


def test_record_then_fetch_then_replay(server: Server) -> None:
    response = server.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                                  headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    decision = response.headers["standards-kernel-decision-id"]
    assert response.headers["location"] == f"/v1/records/{decision}"
    plain = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG))
    # The body names the decision and the record too; the result inside is the unrecorded bytes.
    assert response.json()["decision_id"] == decision and response.json()["location"] == f"/v1/records/{decision}"
    assert response.content == (f'{{"decision_id":"{decision}","location":"/v1/records/{decision}","result":'
                                 .encode() + plain.content + b"}")

    record = server.client.get(f"/v1/records/{decision}")
    assert record.status_code == 200
    data = record.json()
    assert data["decision_id"] == decision
    assert json.dumps(data["body"]["result"], sort_keys=True, separators=(",", ":"), ensure_ascii=False) == plain.text
    assert data["ledger"]["seq"] >= 1
    assert server.client.get(f"/v1/records/{decision[:8]}").json()["decision_id"] == decision

    again = server.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                                  headers={"content-type": "application/json"})
    assert again.headers["standards-kernel-decision-id"] == decision  # the same evaluation, the same decision
    assert again.json()["decision_id"] == decision

    replayed = server.client.post(f"/v1/records/{decision}/replay")
    assert replayed.status_code == 200
    outcome = replayed.json()
    assert outcome["identical"] is True and outcome["differences"] == []
    assert outcome["decision_id"] == decision and outcome["kernel_version"] == __version__


def test_the_record_is_the_cli_record_file(server: Server, tmp_path: Path) -> None:
    response = server.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                                  headers={"content-type": "application/json"})
    record_file = tmp_path / "record.json"
    record_file.write_bytes(server.client.get(response.headers["location"]).content)
    replayed = cli("replay", str(record_file))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


def test_unknown_records(server: Server) -> None:
    problem(server.client.get("/v1/records/0123456789abcdef0123456789abcdef"), 404, "unknown-record")
    problem(server.client.get("/v1/records/not-hex"), 404, "unknown-record")
    problem(server.client.post("/v1/records/0123456789abcdef/replay"), 404, "unknown-record")


def test_without_a_ledger_recording_is_a_409() -> None:
    with running_server() as bare:
        problem(bare.client.post("/v1/evaluations", params={"record": "true"}, content=submission_json(YUANJIANG),
                                  headers={"content-type": "application/json"}),
                409, "ledger-not-configured")
        problem(bare.client.get("/v1/records/0123456789abcdef"), 409, "ledger-not-configured")
        assert bare.client.get("/v1/health").json()["ledger"] is False


# --- the OpenAPI document and the docs page -----------------------------------------------------


@pytest.fixture(scope="module")
def openapi(server: Server) -> dict[str, Any]:
    response = server.client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_31_documents_every_endpoint(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1")
    assert openapi["info"]["version"] == __version__
    expected = {
        ("/v1/standards", "get"), ("/v1/standards/{ref}", "get"), ("/v1/standards/{ref}/schema", "get"),
        ("/v1/evaluations", "post"), ("/v1/evaluations/batch", "post"), ("/v1/records/{decision_id}", "get"),
        ("/v1/records/{decision_id}/replay", "post"), ("/v1/health", "get"),
    }
    found = {(p, method) for p, item in openapi["paths"].items() for method in item}
    assert expected <= found
    body = openapi["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Submission"}
    responses = openapi["paths"]["/v1/evaluations"]["post"]["responses"]
    assert {"200", "201", "400", "404", "413", "422"} <= set(responses)
    assert "application/problem+json" in responses["422"]["content"]


@pytest.mark.parametrize("kernel_class, dropped", [
    (m.Parameter, set()), (m.DatedValue, set()), (m.Citation, set()), (m.Source, set()), (m.Indicator, set()),
    (m.Scoring, set()), (m.Rule, set()), (m.Area, set()), (m.InputSpec, set()),
    (m.Standard, {"content", "file", "order"}), (EvaluationRecord, {"body_text"}),
])
def test_openapi_models_are_the_kernel_models(openapi: dict[str, Any], kernel_class: type, dropped: set[str]) -> None:
    schemas = openapi["components"]["schemas"]
    name = {m.Standard: "StandardEdition"}.get(kernel_class, kernel_class.__name__)
    documented = set(schemas[name]["properties"])
    fields = {f.name for f in attrs.fields(kernel_class)} - dropped
    assert fields <= documented
    assert documented - fields <= {"key", "max_score"}


def test_the_documented_result_is_the_result(server: Server, openapi: dict[str, Any]) -> None:
    result = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG)).json()
    schema = openapi["components"]["schemas"]["EvaluationResult"]
    # every key documented; `inputs` only for a standard with inputs of its own (Yunnan has none)
    assert set(schema["properties"]) - {"inputs", "sensitivity", "trace"} == set(result)  # only when asked
    assert set(schema["required"]) <= set(result) and "inputs" not in schema["required"]


def test_the_docs_page_loads_nothing_from_elsewhere(server: Server) -> None:
    page = server.client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/docs/assets/docs.js", "/docs/assets/docs.css"):
        response = server.client.get(asset)
        assert response.status_code == 200 and asset in page.text
        assert "https://" not in response.text and "http://" not in response.text
    assert "/openapi.json" in server.client.get("/docs/assets/docs.js").text


# --- several workers ---------------------------------------------------------------------------


def test_several_workers_serve_the_same_results() -> None:
    single = None
    with running_server("--workers", "2") as workers:
        for _ in range(3):  # keep-alive requests, answered by either worker
            response = workers.client.post("/v1/evaluations", content=submission_json(YUANJIANG))
            assert response.status_code == 200
            single = single or response.content
            assert response.content == single
        assert workers.client.get("/v1/health").json()["status"] == "ok"


def test_the_workers_socket_says_it_is_tcp() -> None:
    # asyncio turns TCP_NODELAY on only for sockets whose proto is IPPROTO_TCP (uvicorn #3149).
    from standards_kernel.interfaces.server.workers import TcpConfig

    listener = TcpConfig("standards_kernel.interfaces.server.app:app_from_env", host="127.0.0.1", port=0).bind_socket()
    try:
        assert listener.proto == socket.IPPROTO_TCP
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP
    finally:
        listener.close()


def test_serve_defaults_to_loopback_and_warns_otherwise() -> None:
    from standards_kernel.interfaces.cli.main import build_parser
    from standards_kernel.interfaces.cli.server import is_loopback

    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.8.0.1"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.org"))


def test_sensitivity_on_request_and_kept_by_the_record(server: Server) -> None:
    plain = server.client.post("/v1/evaluations", content=submission_json(YUANJIANG)).json()
    asked = server.client.post("/v1/evaluations?sensitivity=true", content=submission_json(YUANJIANG)).json()
    assert "sensitivity" not in plain
    flips = asked.pop("sensitivity")["parameters"]["advanced_cutoff"]["flips"]
    assert [(f["what"], f["at"], f["below"], f["above"]) for f in flips] == [
        ("grade_by_score", "91.5", "advanced", "qualified")]
    assert asked == plain
    recorded = server.client.post("/v1/evaluations?sensitivity=true&record=true", content=submission_json(YUANJIANG),
                                  headers={"Content-Type": "application/json"})
    assert recorded.status_code == 201 and "sensitivity" in recorded.json()["result"]
    replayed = server.client.post(f"/v1/records/{recorded.json()['decision_id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["identical"] is True


def test_the_full_trace_on_request_while_the_record_keeps_the_canonical_result(server: Server) -> None:
    county = submission_json(COUNTIES / "national" / "quality-2017-floor-exact.toml")
    plain = server.client.post("/v1/evaluations", content=county)
    full = server.client.post("/v1/evaluations?trace=full", content=county)
    assert plain.status_code == full.status_code == 200
    assert "trace" not in plain.json() and full.json()["trace"] == "full"
    assert not any("reads" in u for i in plain.json()["indicators"].values() for u in i.get("units", {}).values())
    assert any("reads" in u for i in full.json()["indicators"].values() for u in i.get("units", {}).values())
    assert len(full.content) > len(plain.content)
    recorded = server.client.post("/v1/evaluations?trace=full&record=true", content=county,
                                  headers={"Content-Type": "application/json"})
    assert recorded.status_code == 201 and recorded.json()["result"] == full.json()
    stored = server.client.get(f"/v1/records/{recorded.json()['decision_id']}").json()
    assert stored["body"]["result"] == plain.json()  # the record keeps the canonical result
    wrong = server.client.post("/v1/evaluations?trace=everything", content=county)
    assert wrong.status_code == 400 and "trace" in wrong.text


def test_replay_gives_a_records_full_trace_on_request(server: Server, openapi: dict[str, Any]) -> None:
    county = submission_json(COUNTIES / "national" / "quality-2017-floor-exact.toml")
    recorded = server.client.post("/v1/evaluations?record=true", content=county,
                                  headers={"Content-Type": "application/json"})
    assert recorded.status_code == 201
    decision_id = recorded.json()["decision_id"]
    plain = server.client.post(f"/v1/records/{decision_id}/replay")
    full = server.client.post(f"/v1/records/{decision_id}/replay?trace=full")
    assert plain.status_code == full.status_code == 200
    assert "result" not in plain.json() and plain.json()["identical"] is True
    body = full.json()
    assert body["identical"] is True and body["result"]["trace"] == "full"
    assert body["result"] == server.client.post("/v1/evaluations?trace=full", content=county).json()
    schema = openapi["components"]["schemas"]["ReplayResult"]
    assert "result" in schema["properties"] and "result" not in schema.get("required", [])
