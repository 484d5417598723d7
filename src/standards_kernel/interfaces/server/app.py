"""The ASGI application: routes, problem+json errors, the version header, OpenAPI and docs.

``create_app`` builds a Litestar app; ``app_from_env`` is the factory uvicorn's workers call
(``standards-kernel serve`` passes the configuration in ``STANDARDS_KERNEL_SERVER_CONFIG``).
The OpenAPI 3.1 document is Litestar's, generated from the attrs models in :mod:`.models`; the
request bodies, which the handlers read raw, are added to it from :mod:`.schema`.
"""

from __future__ import annotations

import copy
import json
import os
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
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope

from ...version import __version__
from ...kernel.formats import canonical_json
from ...kernel.registry import Registry, default_registry
from .problems import EXCEPTION_HANDLERS, PROBLEM_TYPES, ApiProblem
from .routes import JSON, NDJSON, ROUTES, json_response, problems, service
from .schema import submission_schema
from .service import ServerConfig, Service

ENV_CONFIG = "STANDARDS_KERNEL_SERVER_CONFIG"
HEADER_VERSION = "Standards-Kernel-Version"
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
        MutableScopeHeaders.from_message(message)[HEADER_VERSION] = __version__


class OpenAPIDocument(JsonRenderPlugin):
    """Serves Litestar's OpenAPI document with the request bodies the handlers read raw."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/openapi.json"])
        self._rendered: bytes | None = None

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = json.dumps(complete_document(openapi_schema, service(request).standards), ensure_ascii=False,
                                        sort_keys=True).encode("utf-8")
        return self._rendered


def complete_document(generated: dict[str, Any], standards: list[Any]) -> dict[str, Any]:
    """Add the request bodies (from the vocabulary and the standards' own inputs) and the batch's
    streamed responses."""
    doc = copy.deepcopy(generated)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    submission = submission_schema(standards=standards)
    submission.pop("$schema", None)
    schemas["Submission"] = submission
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
    return doc


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
     responses=problems(400, 404))
def problem_type(slug: str = Parameter(description="the last segment of a problem's type URI", max_length=64)
                 ) -> Response[dict[str, Any]]:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ApiProblem("not-found", f"no problem type {slug!r}", hint="types: " + ", ".join(PROBLEM_TYPES))
    data = {"type": kind.uri, "title": kind.title, "status": kind.status, "description": kind.description,
            "kernel_version": __version__}
    return json_response(canonical_json(data))


# --- the app -----------------------------------------------------------------------------------


def create_app(config: ServerConfig | None = None, *, registry: Registry | None = None) -> Litestar:
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
    assets = Path(str(ASSETS))
    return Litestar(
        route_handlers=[*ROUTES, index, docs_page, problem_type,
                        create_static_files_router(path="/docs/assets", directories=[assets],
                                                   include_in_schema=False)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[_stamp_version],
        openapi_config=openapi,
        plugins=[AttrsSchemaPlugin()],
        request_max_body_size=config.max_body_bytes,
        state={"service": svc},  # type: ignore[arg-type]
        debug=False,
    )


def config_from_env() -> ServerConfig:
    raw = os.environ.get(ENV_CONFIG)
    if not raw:
        return ServerConfig()
    data = json.loads(raw)
    ledger = data.get("ledger")
    return ServerConfig(ledger=Path(ledger) if ledger else None, max_body_bytes=int(data["max_body_bytes"]))


def config_to_env(config: ServerConfig) -> str:
    return json.dumps({"ledger": str(config.ledger) if config.ledger else None, "max_body_bytes": config.max_body_bytes})


def app_from_env() -> Litestar:
    """The factory uvicorn calls in each worker."""
    return create_app(config_from_env())


__all__ = ["create_app", "app_from_env", "ServerConfig", "service"]
