"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns is one of the problem types below, each with a stable ``type`` URI
(``/problems/<slug>``, served by the API with its description), the HTTP status, a ``detail``
saying what is wrong, and where it applies the ``path`` of the offending field in the submission
(``schools[3].students``) and a ``hint``. Kernel errors map by kind: a bad submission is 422 (with
``errors`` listing every missing or invalid input when there are several), an unknown standard
404, a ledger database out of reach 503 with ``Retry-After``; framework errors (unknown route, bad query parameter, body too large) are
rewritten into the same shape. Anything else is a bug: 500, logged with its traceback, and the
response says no more than that.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, Mapping

import attrs
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from ...version import __version__
from ...errors import KernelError, PluginError, StandardError, StandardNotFound, SubmissionError
from ...audit import ledger
from ...kernel.completeness import IncompleteSubmission
from ...kernel.formats import canonical_json

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("standards_kernel.interfaces.server")


@attrs.frozen
class ProblemType:
    slug: str
    status: int
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.slug}"


PROBLEM_TYPES: dict[str, ProblemType] = {p.slug: p for p in (
    ProblemType("malformed-body", 400, "Malformed request body",
                "The body is not JSON (or not NDJSON, one JSON value per line), is empty, is not UTF-8, "
                "or holds a value JSON cannot carry exactly (NaN, Infinity, a number with thousands of "
                "digits). line and column point into the body."),
    ProblemType("malformed-request", 400, "Malformed HTTP request",
                "The request is not valid HTTP/1.1 (its request line, a header, or its framing), or its "
                "head is too large: the server's HTTP layer refused it before any endpoint saw it."),
    ProblemType("invalid-parameter", 400, "Invalid query or path parameter",
                "A query or path parameter does not have the expected form; path names it."),
    ProblemType("token-required", 401, "Token required",
                "Recording needs the server's API token (Authorization: Bearer TOKEN): a server that "
                "listens beyond loopback, or that has a token configured, records only for its holder."),
    ProblemType("forbidden-origin", 403, "Forbidden origin",
                "The request comes from another web origin (Origin, Sec-Fetch-Site), or names a host "
                "a loopback server does not answer to (Host): a web page elsewhere may not write here."),
    ProblemType("unsupported-media-type", 415, "Unsupported media type",
                "A request that records must say what it sends: Content-Type application/json "
                "(UTF-8), or NDJSON for a batch."),
    ProblemType("unknown-standard", 404, "Unknown standard",
                "No installed standard has that id, that edition, or an edition in force on the date."),
    ProblemType("unknown-record", 404, "Unknown record",
                "The ledger holds no evaluation record with that decision id."),
    ProblemType("not-found", 404, "Not found", "No resource lives at this address."),
    ProblemType("method-not-allowed", 405, "Method not allowed",
                "The resource exists but does not answer this HTTP method."),
    ProblemType("ledger-not-configured", 409, "No ledger",
                "Recording and records need a ledger; start the server with --ledger PATH."),
    ProblemType("body-too-large", 413, "Request body too large",
                "The body is larger than the server's limit (serve --max-body-bytes)."),
    ProblemType("invalid-submission", 422, "Invalid submission",
                "The submission is well-formed JSON but does not validate, or lacks an input the "
                "standard reads; path names the field (schools[3].students) and hint says what to do."),
    ProblemType("cannot-evaluate", 422, "Cannot evaluate",
                "The submission validates but cannot be scored under this standard: the standard is "
                "not in force on the evaluation date, or a formula meets a value it cannot compute with "
                "(a division by zero, a number out of range)."),
    ProblemType("ledger-unavailable", 503, "Ledger unavailable",
                "The ledger's database cannot be reached just now (recording, records and replay need "
                "it). Try again after the seconds Retry-After gives; recording the same evaluation again "
                "is safe: it has the same decision id, and the ledger keeps the first record."),
    ProblemType("standard-unavailable", 500, "Standard unavailable",
                "An installed standard or plugin is broken; the server's operator must fix it."),
    ProblemType("internal-error", 500, "Internal server error",
                "A bug in the server. The error is logged; please report it with the request."),
)}


@attrs.frozen
class ProblemItem:
    """One of several problems of one submission (``errors`` of an ``invalid-submission``)."""

    path: str  # the field: data.panel_scores.government, schools[3].teachers
    problem: Literal["missing", "invalid"]
    detail: str
    expected: str | None = None  # what the field holds: its type, label and unit
    hint: str | None = None


@attrs.frozen
class Problem:
    """An RFC 9457 problem detail, with the kernel version and the place of the error."""

    type: str
    title: str
    status: int
    detail: str
    kernel_version: str
    instance: str | None = None
    path: str | None = None  # where in the submission or request: schools[3].students, query.as_of
    hint: str | None = None
    line: int | None = None  # in the request body (malformed JSON / NDJSON)
    column: int | None = None
    index: int | None = None  # which submission of a batch
    errors: list[ProblemItem] | None = None  # every missing or invalid input, when there are several kinds


class ApiProblem(Exception):
    """Raised by handlers to answer with a problem of a known type."""

    def __init__(self, slug: str, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.kind = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = {k: v for k, v in extra.items() if v is not None}


def problem_data(slug: str, detail: str, *, instance: str | None = None, **extra: Any) -> dict[str, Any]:
    kind = PROBLEM_TYPES[slug]
    data: dict[str, Any] = {
        "type": kind.uri, "title": kind.title, "status": kind.status, "detail": detail,
        "kernel_version": __version__,
    }
    if instance:
        data["instance"] = instance
    data.update({k: v for k, v in extra.items() if v is not None})
    return data


#: The ledger's "database unreachable, try later" error (a PostgreSQL ledger's outage).
LEDGER_UNAVAILABLE: type[KernelError] | None = getattr(ledger, "LedgerUnavailable", None)
#: Seconds a client should wait before retrying while the ledger is unavailable.
RETRY_AFTER_S = 5


def kernel_problem(error: KernelError) -> ApiProblem:
    """The problem for a kernel error: its message, field path, line and hint."""
    if isinstance(error, IncompleteSubmission):
        return ApiProblem("invalid-submission", error.message, path=error.path, hint=error.hint,
                          errors=[issue.to_dict() for issue in error.issues])
    if LEDGER_UNAVAILABLE is not None and isinstance(error, LEDGER_UNAVAILABLE):
        log.warning("ledger unavailable: %s", error)
        return ApiProblem("ledger-unavailable", "the ledger cannot be reached just now; try again shortly",
                          hint=f"retry after {RETRY_AFTER_S} seconds", headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(error, StandardNotFound):
        slug = "unknown-standard"
    elif isinstance(error, (StandardError, PluginError)):
        slug = "standard-unavailable"
    elif isinstance(error, SubmissionError):
        slug = "invalid-submission"
    else:  # EvaluationError, NumberError, a pinned edition not in force on the date
        slug = "cannot-evaluate"
    if slug == "standard-unavailable":
        log.error("installed standard unusable: %s", error)
        return ApiProblem(slug, "an installed standard cannot be loaded; the server's log has the details")
    return ApiProblem(slug, error.message, path=error.path, hint=error.hint)


def response(problem: ApiProblem, request: Request | None = None, headers: Mapping[str, str] | None = None) -> Response[bytes]:
    data = problem_data(problem.kind.slug, problem.detail, instance=request.url.path if request else None, **problem.extra)
    return Response(
        content=canonical_json(data).encode("utf-8"),
        status_code=problem.kind.status,
        media_type=MEDIA_TYPE,
        headers={**problem.headers, **(headers or {})},
    )


# --- exception handlers ----------------------------------------------------------------------


def on_problem(request: Request, exc: ApiProblem) -> Response[bytes]:
    return response(exc, request)


def on_kernel_error(request: Request, exc: KernelError) -> Response[bytes]:
    return response(kernel_problem(exc), request)


def on_http_exception(request: Request, exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        return response(_validation_problem(exc), request)
    if status == 404:
        return response(ApiProblem("not-found", f"nothing at {request.url.path}",
                                   hint="GET /openapi.json lists every endpoint"), request)
    if status == 405:
        allowed = (exc.headers or {}).get("allow") or (exc.headers or {}).get("Allow")
        return response(ApiProblem("method-not-allowed", f"{request.method} is not allowed here",
                                   hint=f"allowed: {allowed}" if allowed else None), request, exc.headers)
    if status == 413:
        limit = request.route_handler.resolve_request_max_body_size() if request.scope.get("route_handler") else None
        return response(ApiProblem("body-too-large", "the request body is larger than the server accepts",
                                   hint=f"at most {limit} bytes; split a batch into smaller ones" if limit else None), request)
    if status >= 500:
        log.error("framework error %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        return response(ApiProblem("internal-error", "the server failed to answer"), request)
    return response(ApiProblem("invalid-parameter", str(exc.detail)), request)


def _validation_problem(exc: ValidationException) -> ApiProblem:
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    key, source, message = first.get("key"), first.get("source"), first.get("message")
    source = getattr(source, "value", source)  # Litestar gives an enum (ParamType.QUERY)
    path = f"{source}.{key}" if key and source else key
    detail = f"{message}" if message else str(exc.detail)
    if key:
        detail = f"{key}: {detail}"
    return ApiProblem("invalid-parameter", detail, path=path)


def on_unexpected(request: Request, exc: Exception) -> Response[bytes]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return response(ApiProblem("internal-error", "the server failed to answer; the error is logged"), request)


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    ApiProblem: on_problem,
    KernelError: on_kernel_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
