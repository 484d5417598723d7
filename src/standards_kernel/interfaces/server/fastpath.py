"""POST /v1/evaluations answered without the framework's layers when nothing is amiss, same bytes.

Routing, the request object, five query parameters, the response object and the before-send
hook cost the event loop ~0.3 ms a request: the largest share of what a worker adds to the work
of scoring a 100-school county in-process (#13). The common request, ``POST /v1/evaluations``
with no query string and a Content-Length within the limit that the guard lets through, is
answered here with the status, headers and body the route answers
(tests/interfaces/test_server_fastpath.py compares the two on every kind of request). The UTF-8
body is made in the evaluation thread, not on the loop.

Whenever anything is off (another path or method, a query string, no or too large a
Content-Length, a refusal of the guard, a client gone mid-body, scoring raising), the request
goes to the app as if this layer were not there: the messages already read from the client are
given to it again, so that the app, not this module, answers every refusal and problem (a
submission that fails is then parsed and checked a second time; only errors pay that).
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from ...version import __version__
from .bodies import parse_json
from .guard import Permissions, check
from .offload import off_loop
from .routes import JSON, evaluation_headers
from .service import Service

PATH = "/v1/evaluations"


class FastEvaluations:
    """ASGI app: plain evaluations answered here, everything else (and every failure) by ``app``."""

    def __init__(self, app: ASGIApp, service: Service, permissions: Permissions, worker: str) -> None:
        self.app = app
        self.service = service
        self.permissions = permissions
        #: Appended to every answer, as the app's before-send hook appends them (app._stamp_version).
        self.stamp = [(b"standards-kernel-version", __version__.encode("latin-1")),
                      (b"standards-kernel-worker", worker.encode("latin-1"))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._plain(scope):
            await self.app(scope, receive, send)
            return
        taken: list[Any] = []  # the messages read from the client
        size = 0
        while True:
            message: Any = await receive()
            taken.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or size > self.limit:
                await self.app(scope, _replay(taken, receive), send)  # a disconnect, or more than was said
                return
            if not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in taken)
        try:
            headers, content = await off_loop(self._answer, body)
        except Exception:  # the app scores it again and answers with its problem, logging what it logs
            await self.app(scope, _replay(taken, receive), send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content, "more_body": False})

    @property
    def limit(self) -> int:
        return self.service.config.max_body_bytes

    def _plain(self, scope: Scope) -> bool:
        """Whether the route would take this request as it is, with every parameter at its default."""
        if (scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != PATH
                or scope.get("query_string") or scope.get("root_path")):
            return False
        length = None
        for name, value in scope.get("headers", ()):
            if name in (b"content-length", b"transfer-encoding"):
                if name == b"transfer-encoding" or length is not None:
                    return False
                length = value
        if length is None or not length.isdigit() or int(length) > self.limit:
            return False
        return check(scope, self.permissions) is None

    def _answer(self, body: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The response's headers and body, in the evaluation thread; raises as the route would."""
        scored = self.service.score(parse_json(body), standard=None, as_of=None, sensitivity=False, trace="summary")
        content = scored.text.encode("utf-8")
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                   for name, value in evaluation_headers(scored).items()]
        headers += [(b"content-type", JSON.encode("latin-1")), (b"content-length", str(len(content)).encode("latin-1"))]
        return headers + self.stamp, content


def _replay(taken: list[Any], receive: Receive) -> Receive:
    """``receive`` that gives the messages already taken again, then goes on with the client's."""
    pending = list(taken)

    async def again() -> Any:
        return pending.pop(0) if pending else await receive()

    return again


__all__ = ["FastEvaluations"]
