"""Who may write: the permission checks every request passes before a handler sees it.

A server on an analyst's machine must not record what a web page elsewhere sends it. So, before
any body is read:

- a loopback server answers only to loopback host names (``Host``), which defeats DNS rebinding
  (a page on ``evil.example`` whose name now resolves to 127.0.0.1);
- a request that is not GET/HEAD/OPTIONS is refused when it comes from another web origin
  (``Origin`` not this server's own, or ``Sec-Fetch-Site`` cross-site or same-site);
- a request that records (``?record=true``) needs the bearer token when the server has one, and
  a server that listens beyond loopback always needs one; the token is compared in constant time;
- a request that records must be ``application/json`` (UTF-8), or NDJSON for a batch: a browser
  can send ``text/plain`` anywhere without asking, but not JSON.

Every refusal is a problem (401, 403, 415; 400 for two Host headers). The server keeps only the token's SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

import attrs
from litestar.types import ASGIApp, Receive, Scope, Send

from ...errors import KernelError
from ...kernel.formats import canonical_json
from .bodies import NDJSON_TYPES
from .problems import MEDIA_TYPE, ApiProblem, problem_data

ENV_TOKEN = "STANDARDS_KERNEL_API_TOKEN"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The values Litestar reads as true for a boolean query parameter (others are false or a 400).
TRUE_VALUES = frozenset({"true", "1", "yes", "on", "t", "y"})
JSON_TYPES = ("application/json",)
MAX_TOKEN_BYTES = 4096
MAX_HEAD_BYTES = 16 * 1024  # uvicorn's (h11's) limit for a head that arrives in pieces
MAX_HEADERS = 100


@attrs.frozen
class Permissions:
    """What the guard enforces: whether the server listens on loopback only, the token's hash,
    and host names a loopback server answers to besides the loopback ones (e.g. a local proxy's)."""

    loopback: bool = True
    token_sha256: str | None = None
    allowed_hosts: tuple[str, ...] = ()

    @property
    def token_required(self) -> bool:
        return self.token_sha256 is not None or not self.loopback

    def to_data(self) -> dict[str, Any]:
        return {"loopback": self.loopback, "token_sha256": self.token_sha256, "allowed_hosts": list(self.allowed_hosts)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "Permissions":
        return cls(loopback=bool(data.get("loopback", True)), token_sha256=data.get("token_sha256"),
                   allowed_hosts=tuple(data.get("allowed_hosts", ())))


def token_digest(token: str | bytes) -> str:
    return hashlib.sha256(token.encode("utf-8") if isinstance(token, str) else token).hexdigest()


def read_token(path: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The token's SHA-256 from ``--token-file`` (its first line) or else the environment;
    None when neither gives one. A file that cannot serve as a token is a KernelError."""
    environ = dict(os.environ) if environ is None else environ
    if path is None:
        from_env = environ.get(ENV_TOKEN, "").strip()
        return token_digest(from_env) if from_env else None
    file = Path(path)
    try:
        if not file.is_file():
            raise KernelError(f"{path}: the token file is not a regular file", hint="give a file holding one line")
        raw = file.read_bytes()[:MAX_TOKEN_BYTES + 1]
    except OSError as error:
        raise KernelError(f"{path}: cannot read the token file ({error.strerror})") from None
    lines = raw.splitlines()
    token = lines[0].strip() if lines else b""
    if len(raw) > MAX_TOKEN_BYTES or len(token) < 16 or not all(33 <= b < 127 for b in token):
        raise KernelError(f"{path}: the token must be one line of 16 to {MAX_TOKEN_BYTES} printable ASCII characters",
                          hint="e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE")
    return token_digest(token)


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address is this machine only (``localhost``, 127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split_host(value: str) -> tuple[str, int | None]:
    """``host[:port]`` (IPv6 in brackets) as (lower-case host, port or None)."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host, port = value, ""
    return host.rstrip("."), int(port) if port.isascii() and port.isdigit() and len(port) <= 5 else None


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header names the server reached through ``Host`` (scheme aside:
    behind a TLS proxy the page is https while the server hears http)."""
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False  # "null" (a sandboxed frame, a file:// page) or garbage
    default = 443 if parts.scheme == "https" else 80
    host_name, host_port = _split_host(host)
    return parts.hostname.rstrip(".") == host_name and (origin_port or default) == (host_port or default)


def _headers(scope: Scope) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in scope.get("headers", ()):
        found.setdefault(key.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def records(scope: Scope) -> bool:
    """Whether the request asks to record (``?record=`` with a value Litestar reads as true)."""
    query = scope.get("query_string", b"").decode("latin-1")
    return scope.get("method") == "POST" and any(
        key == "record" and value.strip().lower() in TRUE_VALUES for key, value in parse_qsl(query, keep_blank_values=True))


def check(scope: Scope, permissions: Permissions) -> ApiProblem | None:
    """The problem that refuses this request, or None when it may go on."""
    every = _headers(scope)
    problem = _framing_problem(scope, every)
    if problem is not None:
        return problem
    headers = {name: values[0] for name, values in every.items()}
    host = headers.get("host", "")
    if permissions.loopback and host:
        name, _ = _split_host(host)
        if not (is_loopback_host(name) or name in permissions.allowed_hosts):
            return ApiProblem("forbidden-origin", f"this server answers on loopback names only, not {name!r}",
                              hint="use http://127.0.0.1 or localhost, or start it with --allow-host NAME")
    if scope.get("method") not in SAFE_METHODS:
        origin = next((o for o in every.get("origin", ()) if not same_origin(o, host)), None)
        if origin is not None:
            return ApiProblem("forbidden-origin", f"a request from another origin ({origin[:100]!r}) may not "
                              "write here", hint="call the API from a program, or from its own /docs page")
        if headers.get("sec-fetch-site", "").strip().lower() in ("cross-site", "same-site"):
            return ApiProblem("forbidden-origin", "a request from another site may not write here",
                              hint="call the API from a program, or from its own /docs page")
    if not records(scope):
        return None
    if permissions.token_required:
        problem = _token_problem(headers.get("authorization", ""), permissions)
        if problem is not None:
            return problem
    return _media_type_problem(headers.get("content-type"), batch=str(scope.get("path", "")).endswith("/batch"))


def _framing_problem(scope: Scope, every: dict[str, list[str]]) -> ApiProblem | None:
    """What the HTTP layer lets through but no honest client sends: they are how requests are
    smuggled past a proxy, or how a server is made to hold megabytes of headers."""
    if scope.get("http_version") not in ("1.0", "1.1"):
        return ApiProblem("malformed-request", f"HTTP/{str(scope.get('http_version'))[:10]} is not served here",
                          hint="speak HTTP/1.1")
    if len(every.get("host", ())) > 1:  # which one would the proxy, the browser, the guard believe?
        return ApiProblem("malformed-request", "the request has more than one Host header")
    if "transfer-encoding" in every and "content-length" in every:
        return ApiProblem("malformed-request", "the request has both Content-Length and Transfer-Encoding")
    raw = list(scope.get("headers", ()))
    size = sum(len(k) + len(v) for k, v in raw)
    if size > MAX_HEAD_BYTES or len(raw) > MAX_HEADERS:
        return ApiProblem("malformed-request", f"the request's headers are too large ({size} bytes)",
                          hint=f"at most {MAX_HEADERS} headers of {MAX_HEAD_BYTES} bytes in all")
    return None


def _token_problem(authorization: str, permissions: Permissions) -> ApiProblem | None:
    if permissions.token_sha256 is None:
        return ApiProblem("token-required", "this server listens beyond loopback and has no API token, so it "
                          "records nothing", hint="start it with --token-file FILE (or "
                          f"{ENV_TOKEN}) and send Authorization: Bearer TOKEN")
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return ApiProblem("token-required", "recording needs the API token",
                          hint="send Authorization: Bearer TOKEN")
    # Both sides hashed: compare_digest then compares equal lengths, and the time says nothing.
    if not hmac.compare_digest(token_digest(given.strip().encode("latin-1")), permissions.token_sha256):
        return ApiProblem("token-required", "the API token is not this server's",
                          hint="send Authorization: Bearer TOKEN with the server's token")
    return None


def _media_type_problem(content_type: str | None, *, batch: bool) -> ApiProblem | None:
    allowed: Iterable[str] = (*JSON_TYPES, *NDJSON_TYPES) if batch else JSON_TYPES
    media, *params = (content_type or "").split(";")
    media = media.strip().lower()
    hint = "send Content-Type: application/json" + (" or application/x-ndjson" if batch else "")
    if media not in allowed:
        said = f"Content-Type {media!r}" if media else "no Content-Type"
        return ApiProblem("unsupported-media-type", f"a request that records must be JSON; it has {said}",
                          hint=hint)
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return ApiProblem("unsupported-media-type", f"the body must be UTF-8, not {value.strip()[:40]!r}",
                              hint="send Content-Type: application/json; charset=utf-8")
    return None


class Guard:
    """ASGI middleware: refuses a request with a problem before the handler reads its body."""

    def __init__(self, app: ASGIApp, permissions: Permissions) -> None:
        self.app = app
        self.permissions = permissions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = check(scope, self.permissions) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        data = problem_data(problem.kind.slug, problem.detail, instance=str(scope.get("path", "")), **problem.extra)
        body = canonical_json(data).encode("utf-8")
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        if problem.kind.status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="standards-kernel"'))
        start: Any = {"type": "http.response.start", "status": problem.kind.status, "headers": headers}
        end: Any = {"type": "http.response.body", "body": body}
        await send(start)
        await send(end)


def middleware(permissions: Permissions) -> Any:
    """The guard as Litestar middleware (a factory of ASGI apps)."""
    return lambda app: Guard(app, permissions)


__all__ = ["ENV_TOKEN", "Guard", "Permissions", "check", "is_loopback_host", "middleware", "read_token",
           "same_origin", "token_digest"]
