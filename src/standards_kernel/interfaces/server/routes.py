"""The endpoints of the API (v1): standards, evaluations, records, health.

Handlers read bodies as raw bytes (see :mod:`.bodies`) and answer with canonical JSON bytes they
build themselves, so that no framework encoder ever touches a number. The return annotations and
``responses`` only document the shape for OpenAPI.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, AsyncIterator, Literal

from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import Receive, Send

from ...version import __version__
from ...kernel.formats import canonical_json
from . import models
from .bodies import is_ndjson, ndjson_lines, parse_json
from .offload import off_loop
from .problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from .problems import ApiProblem, Problem, problem_data
from .service import Scored, Service

JSON = "application/json"
NDJSON = "application/x-ndjson"
SCHEMA_JSON = "application/schema+json"
HEADER_STANDARD = "Standards-Kernel-Standard"
HEADER_STANDARD_SHA256 = "Standards-Kernel-Standard-Sha256"
HEADER_DECISION = "Standards-Kernel-Decision-Id"
HEADER_PLUGIN = "Standards-Kernel-Standard-Plugin"
HEADER_PLUGINS = "Standards-Kernel-Plugins"


def service(request: Request) -> Service:
    return request.app.state["service"]  # type: ignore[no-any-return]


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    descriptions = {
        400: "Malformed body or invalid parameter", 404: "Unknown standard or record",
        409: "The server keeps no ledger", 413: "Body over the server's limit",
        422: "Invalid submission (path names the field; errors lists every missing or invalid input) "
             "or not evaluable",
        503: "The ledger's database cannot be reached just now: retry after Retry-After seconds",
    }
    return {s: ResponseSpec(data_container=Problem, description=descriptions[s], media_type=PROBLEM_MEDIA_TYPE,
                            generate_examples=False) for s in statuses}


def json_response(content: bytes | str, *, status: int = 200, media_type: str = JSON,
                  headers: dict[str, str] | None = None) -> Response[Any]:
    body = content.encode("utf-8") if isinstance(content, str) else content
    return Response(content=body, status_code=status, media_type=media_type, headers=headers or {})


# Query parameters shared by the evaluation endpoints.
StandardParam = Parameter(
    required=False, max_length=200,  # the query parameter ``standard`` (named by the argument)
    description="Standard id (the edition in force on the evaluation date) or id@edition; "
                "default: the submission's evaluation.standard",
)
AsOfParam = Parameter(required=False,
                      description="Evaluation date YYYY-MM-DD; default: the submission's evaluation.as_of")


# --- service ---------------------------------------------------------------------------------


@get("/v1/health", tags=["service"], summary="Health and what is served", operation_id="getHealth",
     sync_to_thread=False)
def health(request: Request) -> Response[models.Health]:
    return json_response(canonical_json(health_data(service(request))))


def health_data(svc: Service) -> dict[str, Any]:
    return {
        "status": "ok",
        "kernel_version": __version__,
        "standards": len(svc.standards),
        "plugins": [{"name": p.name, "distribution": p.distribution, "version": p.version}
                    for _, p in sorted(svc.registry.plugins.items())],
        "plugin_errors": [str(e) for e in svc.registry.errors] + svc.standard_problems,
        "ledger": svc.config.ledger is not None,
    }


# --- standards -------------------------------------------------------------------------------


@get("/v1/standards", tags=["standards"], summary="List the installed standards (one entry per edition)",
     operation_id="listStandards", sync_to_thread=False)
def list_standards(request: Request) -> Response[models.StandardList]:
    return json_response(service(request).listing_json())


@get("/v1/standards/{ref:str}", tags=["standards"], summary="A standard's editions in full",
     description="Editions, indicators, parameters with their sources and statuses, areas, gates, "
                 "vetoes and grades. ``ref`` is an id (every edition) or id@edition (that one).",
     responses=problems(400, 404), operation_id="getStandard", sync_to_thread=False)
def get_standard(
    request: Request, ref: str = Parameter(description="standard id, or id@edition", max_length=200),
) -> Response[models.StandardDetail]:
    return json_response(service(request).detail_json(ref))


@get("/v1/standards/{ref:str}/schema", tags=["standards"],
     summary="JSON Schema (2020-12) of a submission for a standard",
     description="Built from the input vocabulary, the standard's own inputs and what the standard reads "
                 "(x-read-by). A bare id gives the newest edition, or the one in force on ``as_of``.",
     responses=problems(400, 404), operation_id="getSubmissionSchema", sync_to_thread=False,
     media_type=SCHEMA_JSON)
def get_schema(
    request: Request,
    ref: str = Parameter(description="standard id, or id@edition", max_length=200),
    as_of: dt.date | None = AsOfParam,
) -> Response[dict[str, Any]]:
    return json_response(service(request).schema_json(ref, as_of), media_type=SCHEMA_JSON)


# --- evaluations -----------------------------------------------------------------------------


def evaluation_headers(scored: Scored) -> dict[str, str]:
    """Provenance: the standard edition (and its content hash) and the plugins that answered."""
    return {HEADER_STANDARD: scored.standard.key, HEADER_STANDARD_SHA256: scored.standard.sha256,
            HEADER_PLUGIN: scored.plugin, HEADER_PLUGINS: scored.plugins}


@post("/v1/evaluations", tags=["evaluations"], summary="Score one submission", operation_id="evaluate",
      description="The body is one submission (JSON; numbers as JSON numbers or text, read exactly). The "
                  "response body is byte for byte the canonical result that `standards-kernel evaluate SUB "
                  "--format json` prints (without its final newline). With ?record=true the evaluation is "
                  "appended to the ledger: 201, and the body is `{\"decision_id\", \"location\", \"result\"}`: the "
                  "decision id, the record's address (also in the Standards-Kernel-Decision-Id and Location "
                  "headers) and the same canonical result, byte for byte.",
      status_code=200, responses={201: ResponseSpec(data_container=models.RecordedEvaluation,
                                                    description="Scored and recorded", generate_examples=False),
                                  **problems(400, 404, 409, 413, 422, 503)})
async def evaluate_one(
    request: Request,
    standard: str | None = StandardParam,
    as_of: dt.date | None = AsOfParam,
    record: bool = Parameter(default=False, description="append the evaluation to the ledger"),
    sensitivity: bool = Parameter(default=False, description="add the `sensitivity` section: where the grade, a "
                                  "gate or a veto flips if an assumed or reconstructed parameter were wrong "
                                  "(a record keeps it; replay computes it again)"),
    trace: Literal["summary", "full"] = Parameter(default="summary", description="`full`: the result also holds "
                                                  "what each unit read (`reads`) and `\"trace\": \"full\"`; the "
                                                  "canonical result, which a record keeps, is `summary` "
                                                  "(docs/trace.md)"),
) -> Response[models.EvaluationResult]:
    # In a worker, a request with no query string is answered by fastpath.py instead, with the same
    # bytes (tests/interfaces/test_server_fastpath.py): a change here must be made there too.
    svc = service(request)
    body = await request.body()
    # Parsing and scoring are CPU work: off the event loop, in one turn of the worker's thread (offload.py).
    scored = await off_loop(lambda: svc.score(parse_json(body), standard=standard, as_of=as_of,
                                              sensitivity=sensitivity, trace=trace))
    headers = evaluation_headers(scored)
    if not record:
        return json_response(scored.text, headers=headers)
    entry = await off_loop(svc.record, scored, requested=standard or scored.evaluation.submission.standard)
    headers[HEADER_DECISION] = entry.decision_id
    headers["Location"] = record_location(entry.decision_id)
    return json_response(recorded_body(entry.decision_id, scored.text), status=201, headers=headers)


def record_location(decision_id: str) -> str:
    return f"/v1/records/{decision_id}"


def recorded_body(decision_id: str, result_text: str) -> bytes:
    """``{"decision_id", "location", "result"}`` in canonical JSON, the result's bytes unchanged inside."""
    head = canonical_json({"decision_id": decision_id, "location": record_location(decision_id)})
    return (head[:-1] + ',"result":' + result_text + "}").encode("utf-8")


@post("/v1/evaluations/batch", tags=["evaluations"], summary="Score many submissions, streamed back in order",
      operation_id="evaluateBatch",
      description="The body is a JSON list of submissions, or NDJSON (Content-Type application/x-ndjson, one "
                  "submission per line, scored as the lines arrive). The response streams one line per "
                  "submission, in order: the canonical result exactly as POST /v1/evaluations returns it, or "
                  "a problem object (with `index`, `status` and `type`) for a submission that failed. With "
                  "`Accept: application/json` the same items come as one JSON array. The status is 200 once "
                  "streaming has started; a body over the limit in mid-stream ends the stream with a 413 "
                  "problem line.",
      status_code=200, responses=problems(400, 413, 422))
async def evaluate_batch(
    request: Request,
    standard: str | None = StandardParam,
    as_of: dt.date | None = AsOfParam,
) -> Stream:
    svc = service(request)
    as_array = _wants_array(request)
    media_type = JSON if as_array else NDJSON
    if is_ndjson(request.headers.get("content-type", "")):
        length = request.headers.get("content-length")
        limit = svc.config.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            raise HTTPException(status_code=413)
        items: AsyncIterator[bytes] = _ndjson_items(svc, request, standard, as_of)
    else:
        data = await off_loop(parse_json, await request.body())
        if not isinstance(data, list):
            raise ApiProblem("invalid-submission", f"expected a JSON list of submissions, got {_kind(data)}",
                             hint="POST one submission to /v1/evaluations, or send NDJSON "
                                  "(Content-Type: application/x-ndjson)")
        items = _list_items(svc, data, standard, as_of)
    return DuplexStream(_framed(items, as_array), media_type=media_type, headers={HEADER_PLUGINS: svc.all_plugins()})


class _DuplexASGIStream(ASGIStreamingResponse):
    """Streams without Litestar's disconnect listener, which would compete with the handler for
    the request body: an NDJSON batch is read while its results are being sent."""

    __slots__ = ()

    async def send_body(self, send: Send, receive: Receive) -> None:
        await self._stream(send)


class DuplexStream(Stream):
    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().to_asgi_response(*args, **kwargs)
        response.__class__ = _DuplexASGIStream  # same slots; only send_body differs
        return response


def _wants_array(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "ndjson" not in accept


def _kind(data: Any) -> str:
    return {dict: "an object", str: "a string", bool: "a boolean"}.get(type(data), "a " + type(data).__name__)


def _item(svc: Service, data: Any, index: int, standard: str | None, as_of: dt.date | None) -> bytes:
    try:
        return svc.score(data, standard=standard, as_of=as_of, index=index).text.encode("utf-8")
    except ApiProblem as problem:
        return _problem_line(problem, index)


def _problem_line(problem: ApiProblem, index: int) -> bytes:
    extra = {**problem.extra, "index": index}
    return canonical_json(problem_data(problem.kind.slug, problem.detail, **extra)).encode("utf-8")


async def _list_items(svc: Service, data: list[Any], standard: str | None, as_of: dt.date | None) -> AsyncIterator[bytes]:
    for index, item in enumerate(data):
        yield await off_loop(_item, svc, item, index, standard, as_of)


async def _ndjson_items(svc: Service, request: Request, standard: str | None,
                        as_of: dt.date | None) -> AsyncIterator[bytes]:
    index = 0
    try:
        async for number, line in ndjson_lines(request.stream()):
            try:
                data = parse_json(line, line_offset=number - 1, index=index)
            except ApiProblem as problem:
                yield _problem_line(problem, index)
            else:
                yield await off_loop(_item, svc, data, index, standard, as_of)
            index += 1
    except HTTPException as error:  # the body grew past the limit after the stream had started
        if error.status_code != 413:
            return  # the client went away mid-body: nobody is left to answer
        yield _problem_line(ApiProblem("body-too-large", f"the body passed the server's limit of "
                                       f"{svc.config.max_body_bytes} bytes; the batch stops here",
                                       hint="send the rest in another batch"), index)


async def _framed(items: AsyncIterator[bytes], as_array: bool) -> AsyncIterator[bytes]:
    if not as_array:
        async for item in items:
            yield item + b"\n"
        return
    first = True
    yield b"["
    async for item in items:
        yield item if first else b"," + item
        first = False
    yield b"]"


# --- records ---------------------------------------------------------------------------------


@get("/v1/records/{decision_id:str}", tags=["records"], summary="An evaluation record from the ledger",
     description="The self-contained record file (as `standards-kernel ledger show` prints it): the "
                 "submission, the standard's content and hash, the versions, the canonical result and the "
                 "ledger chain fields.",
     responses=problems(400, 404, 409, 503), operation_id="getRecord")
async def get_record(request: Request, decision_id: str = Parameter(description="decision id (32 hex digits, or a "
                                                                                "unique prefix of at least 8)",
                                                                    max_length=64)) -> Response[models.Record]:
    # The ledger is used from the evaluation thread only (a SQLite connection belongs to its thread).
    record = await off_loop(service(request).find_record, decision_id)
    return json_response(record.to_file_text(), headers={HEADER_DECISION: record.decision_id})


@post("/v1/records/{decision_id:str}/replay", tags=["records"], summary="Replay a recorded evaluation",
      description="Re-evaluates the record with its own recorded standard content on its recorded date and "
                  "compares the result byte for byte (kernel_version aside); `identical` says whether it "
                  "matched and `differences` lists every field that did not. With ?trace=full the answer also "
                  "holds `result`: the replayed result with what each unit read (the full trace, which the "
                  "canonical result leaves out; docs/trace.md), rebuilt from the record's own submission and "
                  "standard.",
      status_code=200, responses=problems(400, 404, 409, 503), operation_id="replayRecord")
async def replay_record(
    request: Request,
    decision_id: str = Parameter(description="decision id", max_length=64),
    trace: Literal["summary", "full"] = Parameter(default="summary", description="`full`: also give the replayed "
                                                  "result's full trace as `result`"),
) -> Response[models.ReplayResult]:
    svc = service(request)
    record = await off_loop(svc.find_record, decision_id)  # in the thread that uses the ledger
    replayed = await off_loop(replay_data, svc, record, trace=trace)
    return json_response(canonical_json(replayed), headers={HEADER_DECISION: record.decision_id})


def replay_data(svc: Service, record: Any, *, trace: str = "summary") -> dict[str, Any]:
    from ...audit.replay import replay

    outcome = replay(record, functions=svc.registry.functions, trace=trace)
    full = {"result": outcome.replayed} if trace == "full" and outcome.replayed is not None else {}
    return {**outcome.to_dict(), "kernel_version": __version__, **full}


ROUTES = [health, list_standards, get_standard, get_schema, evaluate_one, evaluate_batch, get_record, replay_record]


# --- the contract's parts the framework does not write -----------------------------------------


def _header(description: str, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string", **schema}}


PLUGIN_TOKEN = r"[^ ,]+ [^ ,/]+/[^ ,]+"
PROVENANCE_HEADERS = {
    HEADER_PLUGIN: _header("the plugin that contributed the standard: `name distribution/version`",
                           pattern=f"^({PLUGIN_TOKEN}|none)$"),
    HEADER_PLUGINS: _header("every plugin loaded by the process that answered (as its records list them), "
                            "comma-separated `name distribution/version`", pattern=f"^({PLUGIN_TOKEN}(, )?)*$"),
}
#: operationId → statuses that carry the provenance headers
PROVENANCE = {"evaluate": ("200", "201"), "evaluateBatch": ("200",)}
SCHEMA_LINK = {"operationId": "getSubmissionSchema",
               "description": "the JSON Schema of a submission for the standard that answered (or was asked for)"}
LINKS: dict[tuple[str, str], dict[str, Any]] = {
    ("evaluate", "200"): {"submissionSchema": {**SCHEMA_LINK, "parameters": {
        "ref": f"$response.header.{HEADER_STANDARD}"}}},
    ("evaluate", "201"): {
        "submissionSchema": {**SCHEMA_LINK, "parameters": {"ref": f"$response.header.{HEADER_STANDARD}"}},
        "record": {"operationId": "getRecord", "parameters": {"decision_id": "$response.body#/decision_id"},
                   "description": "the record just appended to the ledger"},
        "replay": {"operationId": "replayRecord", "parameters": {"decision_id": "$response.body#/decision_id"},
                   "description": "replay the record just appended"}},
    ("evaluate", "422"): {"submissionSchema": {**SCHEMA_LINK, "parameters": {"ref": "$request.query.standard"}}},
    ("getRecord", "200"): {"replay": {"operationId": "replayRecord",
                                      "parameters": {"decision_id": "$response.body#/decision_id"}}},
}


def declare_contract(doc: dict[str, Any]) -> None:
    """What the OpenAPI document must say beyond the framework's: the provenance headers of a
    scored evaluation, Retry-After on every 503, links between operations (the per-standard
    submission schema from evaluate, the record from a recorded evaluation), and where the
    per-standard schema of a request body is; the record's body typed. Runs last on the
    completed document."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    if "EvaluationRecord" in schemas:
        schemas.update(models.record_schemas())
        schemas["EvaluationRecord"]["properties"]["body"] = {"$ref": "#/components/schemas/RecordBody"}
    for item in doc["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            op_id = operation["operationId"]
            for status, answer in operation.get("responses", {}).items():
                headers = answer.setdefault("headers", {})
                if status in PROVENANCE.get(op_id, ()):
                    wanted = PROVENANCE_HEADERS if op_id == "evaluate" else {HEADER_PLUGINS: PROVENANCE_HEADERS[HEADER_PLUGINS]}
                    headers.update(copy.deepcopy(wanted))
                if status == "503":
                    headers["Retry-After"] = _header("seconds to wait before trying again", pattern="^[0-9]+$")
                if (op_id, status) in LINKS:
                    answer["links"] = copy.deepcopy(LINKS[(op_id, status)])
            body = operation.get("requestBody")
            if op_id in ("evaluate", "evaluateBatch") and body is not None:
                body["description"] = (body.get("description", "") + "; the schema here admits the inputs of "
                                       "every installed standard, and GET /v1/standards/{ref}/schema "
                                       "(operationId getSubmissionSchema) gives the exact one for a standard: "
                                       "which inputs it reads and requires").lstrip("; ")
