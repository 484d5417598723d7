"""The ASGI application: routes, problem+json errors, the version header, OpenAPI and docs.

``create_app`` builds a Litestar app; ``app_from_env`` is the factory uvicorn's workers call
(``standards-kernel serve`` passes the configuration in ``STANDARDS_KERNEL_SERVER_CONFIG``).
The OpenAPI 3.1 document is Litestar's, generated from the attrs models in :mod:`.models`; the
request bodies, which the handlers read raw, are added to it from :mod:`.schema`, with the typed
parts of the result, every response header, and examples the server computes from the example
submission it ships (``assets/yuanjiang-2009.json``).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Tag
from litestar.params import Parameter
from litestar.plugins.attrs import AttrsSchemaPlugin
from litestar.types import Message, Scope

from ...version import __version__
from ...errors import KernelError
from ...kernel.formats import canonical_json, exact_json
from ...kernel.registry import Registry, default_registry
from . import models
from .assets import asset
from .guard import Permissions, middleware
from .problems import EXCEPTION_HANDLERS, PROBLEM_TYPES, ApiProblem, kernel_problem, problem_data
from .problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from .routes import (HEADER_DECISION, HEADER_STANDARD, HEADER_STANDARD_SHA256, JSON, NDJSON, ROUTES, SCHEMA_JSON,
                     health_data, json_response, problems, recorded_body, replay_data, service)
from .schema import submission_schema
from .service import ServerConfig, Service

ENV_CONFIG = "STANDARDS_KERNEL_SERVER_CONFIG"
HEADER_VERSION = "Standards-Kernel-Version"
HEADER_WORKER = "Standards-Kernel-Worker"
WORKER = str(os.getpid())
log = logging.getLogger("standards_kernel.interfaces.server")
ASSETS = resources.files("standards_kernel.interfaces.server") / "assets"

DESCRIPTION = """\
Scores county submissions under China's county-level education supervision standards (督导评估),
exactly: every number is a decimal read from its text, and every decimal in a response is a JSON
string. Evaluation results are the kernel's canonical JSON, byte for byte what
`standards-kernel evaluate --format json` prints. Every response carries the kernel version in
the `Standards-Kernel-Version` header; errors are RFC 9457 problem details naming the field.
"""


async def _stamp_version(message: Message, scope: Scope) -> None:
    """Every response names the kernel that produced it, errors and 404s included."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        headers[HEADER_VERSION] = __version__
        headers[HEADER_WORKER] = WORKER  # which worker process answered (several serve one port)


class OpenAPIDocument(JsonRenderPlugin):
    """Serves Litestar's OpenAPI document with the request bodies the handlers read raw, the
    response headers and the examples (see :func:`complete_document`)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/openapi.json"])
        self._rendered: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            svc = service(request)
            document = complete_document(openapi_schema, svc.standards, examples(svc))
            self._rendered = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return self._rendered


def _string(description: str, *, required: bool = True, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string", **schema}}


#: Response headers by operation id and status ("*": every response of every operation).
DECISION_HEADER = _string("the decision id of the record (32 hexadecimal digits)", pattern="^[0-9a-f]{32}$")
STANDARD_HEADERS = {
    HEADER_STANDARD: _string("id@edition of the standard used", pattern="^[^@]+@[^@]+$"),
    HEADER_STANDARD_SHA256: _string("sha256 of the standard's canonical content", pattern="^[0-9a-f]{64}$"),
}
HEADERS: dict[tuple[str, str], dict[str, Any]] = {
    ("*", "*"): {HEADER_VERSION: _string("the version of the kernel that answered", minLength=1),
                 HEADER_WORKER: _string("the process id of the worker that answered", pattern="^[0-9]+$")},
    ("evaluate", "200"): STANDARD_HEADERS,
    ("evaluate", "201"): {**STANDARD_HEADERS, HEADER_DECISION: DECISION_HEADER,
                          "Location": _string("the record's address, /v1/records/{decision_id}",
                                              pattern="^/v1/records/[0-9a-f]{32}$")},
    ("getRecord", "200"): {HEADER_DECISION: DECISION_HEADER},
    ("replayRecord", "200"): {HEADER_DECISION: DECISION_HEADER},
}


def complete_document(generated: dict[str, Any], standards: list[Any],
                      examples: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Add the request bodies (from the vocabulary and the standards' own inputs), the batch's
    streamed responses, every response header (with its schema) and the examples."""
    doc = copy.deepcopy(generated)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    submission = submission_schema(standards=standards)
    submission.pop("$schema", None)
    schemas["Submission"] = submission
    schemas.update(models.result_schemas())
    schemas["EvaluationResult"]["properties"].update(copy.deepcopy(models.RESULT_PARTS))
    ref = {"$ref": "#/components/schemas/Submission"}
    item = {"oneOf": [{"$ref": "#/components/schemas/EvaluationResult"}, {"$ref": "#/components/schemas/Problem"}]}
    paths = doc["paths"]
    paths["/v1/evaluations"]["post"]["requestBody"] = {
        "required": True, "description": "one county submission",
        "content": {JSON: {"schema": ref}},
    }
    batch = paths["/v1/evaluations/batch"]["post"]
    batch["requestBody"] = {
        "required": True,
        "description": "a JSON list of submissions, or NDJSON: one submission per line",
        "content": {JSON: {"schema": {"type": "array", "items": ref}}, NDJSON: {"schema": ref}},
    }
    batch["responses"]["200"] = {
        "description": "one line per submission, in order: its canonical result, or a problem with its index",
        "content": {NDJSON: {"schema": item}, JSON: {"schema": {"type": "array", "items": item}}},
    }
    for operation in operations(doc):
        op_id = operation["operationId"]
        add_refusals(operation)
        for status, answer in operation["responses"].items():
            headers = answer.setdefault("headers", {})
            headers.clear()  # Litestar's own header entries have no schema (invalid in OpenAPI 3.1)
            for key in (("*", "*"), (op_id, status)):
                headers.update(copy.deepcopy(HEADERS.get(key, {})))
        add_examples(operation, (examples or {}).get(op_id, {}))
    from .routes import declare_contract  # provenance headers, 503s, links (routes.py owns them)

    declare_contract(doc)
    return doc


#: The guard's refusals (guard.py), by status: every operation may meet a 403 (a loopback server
#: answers to loopback host names only; writes from another origin); the recording ones 401 and 415.
REFUSALS = {"401": "Recording needs the API token (Authorization: Bearer)",
            "403": "Another web origin, or a host name a loopback server does not answer to",
            "415": "A recording request that is not application/json (UTF-8)"}
RECORDING_OPERATIONS = ("evaluate", "evaluateBatch")


def add_refusals(operation: dict[str, Any]) -> None:
    statuses = ("401", "403", "415") if operation["operationId"] in RECORDING_OPERATIONS else ("403",)
    for status in statuses:
        operation["responses"].setdefault(status, {
            "description": REFUSALS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}})


def operations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    return [op for item in doc["paths"].values() for method, op in item.items() if method in methods]


def add_examples(operation: dict[str, Any], found: dict[str, Any]) -> None:
    """``found``: "request" → {media type: value}, "parameters" → {name: value},
    "responses" → {status: {media type: value}}; each example is named by ``found["name"]``."""
    name, summary = found.get("name", "example"), found.get("summary", "")

    def example(value: Any) -> dict[str, Any]:
        return {name: {"summary": summary, "value": value}}

    for media, value in found.get("request", {}).items():
        operation["requestBody"]["content"][media]["examples"] = example(value)
    for parameter in operation.get("parameters", []):
        if parameter["name"] in found.get("parameters", {}):
            parameter["examples"] = example(found["parameters"][parameter["name"]])
    for status, contents in found.get("responses", {}).items():
        for media, value in contents.items():
            operation["responses"][status]["content"][media]["examples"] = example(value)


# --- examples --------------------------------------------------------------------------------

#: The example submission, shipped with the package: fixtures/counties/yunnan/yuanjiang-2009.toml as
#: the JSON a client sends (tests/interfaces/test_server_openapi.py keeps the two equal).
EXAMPLE_SUBMISSION = "yuanjiang-2009.json"
EXAMPLE_SUMMARY = "元江县 (Yuanjiang), municipal review of May 2009, yunnan.county-education"


def examples(svc: Service) -> dict[str, dict[str, Any]]:
    """An example request and response for every operation, computed by this server from the
    shipped example submission: the examples are what the server answers, so they cannot drift.
    Keys are operation ids; the shape is :func:`add_examples`'s."""
    found: dict[str, dict[str, Any]] = {
        "getHealth": {"responses": {"200": {JSON: health_data(svc)}}},
        "listStandards": {"responses": {"200": {JSON: json.loads(svc.listing_json())}}},
        "getProblemType": {"parameters": {"slug": "invalid-submission"},
                           "responses": {"200": {JSON: problem_type_data("invalid-submission")}}},
    }
    try:
        found.update(_evaluation_examples(svc))
    except (ApiProblem, KernelError) as error:  # the example's standard is not installed here
        log.warning("no evaluation examples in the OpenAPI document: %s", error)
    for value in found.values():
        value.setdefault("name", "yuanjiang-2009")
        value.setdefault("summary", EXAMPLE_SUMMARY)
    return found


def _evaluation_examples(svc: Service) -> dict[str, dict[str, Any]]:
    from ...audit.ledger import Ledger
    from ...audit.records import record_evaluation

    text = (ASSETS / EXAMPLE_SUBMISSION).read_text(encoding="utf-8")
    submission, exact = json.loads(text), exact_json(text)
    scored = svc.score(exact, standard=None, as_of=None)
    result = json.loads(scored.text)
    key = scored.standard.key
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "examples.sqlite3", create=True) as ledger:
        record = record_evaluation(scored.decision, plugins=svc.registry.plugins, functions=svc.registry.functions,
                                   requested=scored.evaluation.submission.standard)
        stored = ledger.get(ledger.append(record).decision_id)
    decision_id = stored.decision_id
    invalid = copy.deepcopy(exact)
    invalid["data"]["totals"]["building_area_m2"] = "a lot"
    problem_422 = _problem(lambda: svc.score(invalid, standard=None, as_of=None), "/v1/evaluations")
    problem_404 = _problem(lambda: svc.resolve("no.such-standard", None), "/v1/standards/no.such-standard")
    return {
        "getStandard": {"parameters": {"ref": key}, "responses": {"200": {JSON: json.loads(svc.detail_json(key))},
                                                                "404": {PROBLEM_MEDIA_TYPE: problem_404}}},
        "getSubmissionSchema": {"parameters": {"ref": key},
                                "responses": {"200": {SCHEMA_JSON: json.loads(svc.schema_json(key, None))}}},
        "evaluate": {"request": {JSON: submission}, "parameters": {"standard": key, "as_of": "2009-05-13"},
                     "responses": {"200": {JSON: result},
                                   "201": {JSON: json.loads(recorded_body(decision_id, scored.text))},
                                   "422": {PROBLEM_MEDIA_TYPE: problem_422}}},
        "evaluateBatch": {"request": {JSON: [submission], NDJSON: text.strip() + "\n"},
                          "parameters": {"standard": key},
                          "responses": {"200": {NDJSON: scored.text + "\n", JSON: [result]}}},
        "getRecord": {"parameters": {"decision_id": decision_id},
                      "responses": {"200": {JSON: json.loads(stored.to_file_text())}}},
        "replayRecord": {"parameters": {"decision_id": decision_id},
                         "responses": {"200": {JSON: replay_data(svc, stored)}}},
    }


def _problem(call: Any, instance: str) -> dict[str, Any]:
    """The problem a call answers with, as the API would send it."""
    try:
        call()
    except ApiProblem as problem:
        found = problem
    except KernelError as error:
        found = kernel_problem(error)
    else:
        raise AssertionError(f"the example of a problem at {instance} did not fail")
    return problem_data(found.kind.slug, found.detail, instance=instance, **found.extra)


# --- pages and small resources -----------------------------------------------------------------


@get("/", include_in_schema=False, sync_to_thread=False)
def index() -> Response[Any]:
    links = {"docs": "/docs", "openapi": "/openapi.json", "health": "/v1/health", "standards": "/v1/standards"}
    return json_response(canonical_json({"kernel_version": __version__, "links": links}))


@get("/docs", include_in_schema=False, sync_to_thread=False)
def docs_page() -> Response[Any]:
    page = (ASSETS / "docs.html").read_bytes()
    return Response(content=page, media_type="text/html; charset=utf-8")


@get("/problems/{slug:str}", tags=["service"], summary="What a problem type means", sync_to_thread=False,
     operation_id="getProblemType",
     responses=problems(400, 404))
def problem_type(slug: str = Parameter(description="the last segment of a problem's type URI", max_length=64)
                 ) -> Response[dict[str, Any]]:
    return json_response(canonical_json(problem_type_data(slug)))


def problem_type_data(slug: str) -> dict[str, Any]:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ApiProblem("not-found", f"no problem type {slug!r}", hint="types: " + ", ".join(PROBLEM_TYPES))
    return {"type": kind.uri, "title": kind.title, "status": kind.status, "description": kind.description,
            "kernel_version": __version__}


# --- the app -----------------------------------------------------------------------------------


def create_app(config: ServerConfig | None = None, *, registry: Registry | None = None,
               permissions: Permissions | None = None) -> Litestar:
    """The app; ``permissions`` (guard.py) default to a loopback server without a token."""
    config = config or ServerConfig()
    svc = Service(registry or default_registry(), config)
    svc.standards  # build every standard now, not on the first request  # noqa: B018
    openapi = OpenAPIConfig(
        title="standards-kernel scoring API",
        version=__version__,
        description=DESCRIPTION,
        path="/openapi.json",
        render_plugins=[OpenAPIDocument()],
        tags=[Tag(name="standards", description="the installed standards and their submission schemas"),
              Tag(name="evaluations", description="scoring, one or many"),
              Tag(name="records", description="the ledger of recorded evaluations, and replay"),
              Tag(name="service", description="health and problem types")],
    )
    return Litestar(
        route_handlers=[*ROUTES, index, docs_page, problem_type, asset],
        middleware=[middleware(permissions or Permissions())],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[_stamp_version],
        openapi_config=openapi,
        plugins=[AttrsSchemaPlugin()],
        request_max_body_size=config.max_body_bytes,
        state={"service": svc},  # type: ignore[arg-type]
        debug=False,
    )


def config_from_text(raw: str | None) -> tuple[ServerConfig, Permissions]:
    """The configuration :func:`config_to_text` wrote (the default one for None or "")."""
    if not raw:
        return ServerConfig(), Permissions()
    data = json.loads(raw)
    from ...audit.ledger import is_postgres_url

    ledger = data.get("ledger")
    config = ServerConfig(ledger=(ledger if is_postgres_url(ledger) else Path(ledger)) if ledger else None,
                          max_body_bytes=int(data["max_body_bytes"]))
    return config, Permissions.from_data(data.get("permissions", {}))


def config_to_text(config: ServerConfig, permissions: Permissions | None = None) -> str:
    """The configuration as JSON, for worker processes (the token only as its SHA-256)."""
    return json.dumps({"ledger": str(config.ledger) if config.ledger else None, "max_body_bytes": config.max_body_bytes,
                       "permissions": (permissions or Permissions()).to_data()})


def app_from_config(raw: str | None) -> Litestar:
    config, permissions = config_from_text(raw)
    return create_app(config, permissions=permissions)


def app_from_env() -> Litestar:
    """A factory for ``uvicorn --factory``: the configuration from ``STANDARDS_KERNEL_SERVER_CONFIG``."""
    return app_from_config(os.environ.get(ENV_CONFIG))


__all__ = ["create_app", "app_from_env", "ServerConfig", "service"]
