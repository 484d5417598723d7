"""The fast path of POST /v1/evaluations (interfaces/server/fastpath.py) answers byte for byte as
the route does, and hands every other request, and every failure, to the app.

Each request is sent twice in-process, as ASGI messages: to the Litestar app alone (the oracle)
and to the fast path in front of the same app; the messages sent back (status, every header in
order, body) must be equal, and the app must have been called exactly when the fast path is not
meant to answer. The real server (tests/interfaces/test_server*.py) runs with the fast path.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.batch.synth import generate
from standards_kernel.interfaces.server.app import WORKER, create_app
from standards_kernel.interfaces.server.fastpath import FastEvaluations
from standards_kernel.interfaces.server.guard import Permissions
from standards_kernel.interfaces.server.service import ServerConfig
from standards_kernel.kernel.formats import content_json
from standards_kernel.kernel.registry import default_registry
from tests.helpers.server import YUANJIANG, submission_json

# Litestar warns, building the app, of the parameter style the routes use (as test_openapi_contract.py).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LIMIT = 256 * 1024
SUB = submission_json(YUANJIANG)
STANDARD = "national.quality-balance@2017"


class Counted:
    """The app, counting the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[Counted, FastEvaluations]]:
    permissions = Permissions()
    litestar = create_app(ServerConfig(max_body_bytes=LIMIT), permissions=permissions)
    counted = Counted(litestar)
    yield counted, FastEvaluations(counted, litestar.state["service"], permissions, WORKER)


def synth_county(seed: int, schools: int = 4) -> bytes:
    standard = default_registry().get(STANDARD)
    return content_json(next(iter(generate(standard, 1, schools, seed, standard_ref=STANDARD)))).encode("utf-8")


def scope(method: str = "POST", path: str = "/v1/evaluations", query: bytes = b"",
          headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": headers if headers is not None else [], "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000), "state": {}}


def post(body: bytes, *, extra: list[tuple[bytes, bytes]] = (), length: bool = True, **kwargs: Any) -> dict[str, Any]:  # type: ignore[assignment]
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
    if length:
        headers.append((b"content-length", str(len(body)).encode()))
    return scope(headers=headers + list(extra), **kwargs)


def exchange(app: Any, request: dict[str, Any], chunks: list[bytes], *, disconnect: bool = False) -> list[Any]:
    """The messages ``app`` sends for ``request`` whose body arrives in ``chunks`` (then, with
    ``disconnect``, the client goes away instead of finishing)."""
    incoming: list[dict[str, Any]] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    if disconnect:
        incoming.append({"type": "http.disconnect"})
    else:
        incoming[-1]["more_body"] = False
    sent: list[Any] = []

    async def receive() -> Any:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    async def run() -> None:
        try:
            await app(copy.deepcopy(request), receive, send)  # the app keeps state in its scope
        except Exception as error:  # both sides must fail alike, when the app raises
            sent.append(("raised", type(error).__name__, str(error)))

    asyncio.run(run())
    return sent


def both(apps: tuple[Counted, FastEvaluations], request: dict[str, Any], chunks: list[bytes],
         **kwargs: Any) -> tuple[list[Any], int]:
    """(what the fast path sent, how many times it called the app); asserts the app alone sent
    the same."""
    counted, fast = apps
    oracle = exchange(counted, request, chunks, **kwargs)
    before = counted.calls
    answered = exchange(fast, request, chunks, **kwargs)
    assert answered == oracle
    return answered, counted.calls - before


def status(messages: list[Any]) -> int:
    return int(messages[0]["status"])


@pytest.mark.parametrize("seed, schools", [(None, 0), (1, 4), (2, 30)], ids=["yuanjiang", "synth-4", "synth-30"])
def test_a_plain_evaluation_is_answered_by_the_fast_path_as_the_route_answers_it(apps: Any, seed: int | None,
                                                                                 schools: int) -> None:
    body = SUB if seed is None else synth_county(seed, schools)
    answered, calls = both(apps, post(body), [body])
    assert status(answered) == 200 and calls == 0
    headers = dict(answered[0]["headers"])
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(answered[1]["body"])
    assert json.loads(answered[1]["body"])["standard"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(SUB)), max_size=6))
def test_a_body_in_any_pieces_gets_the_same_answer(apps: Any, cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(SUB)]
    chunks = [SUB[a:b] for a, b in zip(points, points[1:])]
    answered, calls = both(apps, post(SUB), chunks)
    assert status(answered) == 200 and calls == 0


HANDED_ON = [
    ("not JSON", post(b"county = 1"), [b"county = 1"], 400),
    ("not UTF-8", post(b'{"a": "\xff"}'), [b'{"a": "\xff"}'], 400),
    ("empty", post(b""), [b""], 400),
    ("no standard", post(b"{}"), [b"{}"], 422),
    ("a list", post(b"[]"), [b"[]"], 422),
    ("an unknown standard", post(b'{"evaluation": {"standard": "no.such", "as_of": "2020-01-01"}}'),
     [b'{"evaluation": {"standard": "no.such", "as_of": "2020-01-01"}}'], 404),
    ("a query string", post(SUB, query=b"sensitivity=true"), [SUB], 200),
    ("a bad query parameter", post(SUB, query=b"trace=most"), [SUB], 400),
    ("another origin", post(SUB, extra=[(b"origin", b"null")]), [SUB], 403),
    ("another host", scope(headers=[(b"host", b"evil.example"), (b"content-length", str(len(SUB)).encode())]),
     [SUB], 403),
    ("no Content-Length", post(SUB, length=False), [SUB], 200),
    ("a Content-Length over the limit", post(SUB, extra=[(b"content-length", str(LIMIT + 1).encode())],
                                             length=False), [SUB], 413),
    ("two Content-Lengths", post(SUB, extra=[(b"content-length", str(len(SUB)).encode())]), [SUB], 200),
    ("chunked", post(SUB, extra=[(b"transfer-encoding", b"chunked")], length=False), [SUB], 200),
    ("more body than the limit", post(b"x", length=False, extra=[(b"content-length", b"1")]),
     [b"[" + b"1," * LIMIT, b"1]"], 413),
    ("GET health", scope("GET", "/v1/health", headers=[(b"host", b"127.0.0.1")]), [b""], 200),
    ("PUT", post(SUB, method="PUT"), [SUB], 405),
    ("a trailing slash", post(SUB, path="/v1/evaluations/"), [SUB], None),
]


@pytest.mark.parametrize("name, request_, chunks, expected", HANDED_ON, ids=[h[0] for h in HANDED_ON])
def test_anything_else_is_answered_by_the_app(apps: Any, name: str, request_: dict[str, Any], chunks: list[bytes],
                                              expected: int | None) -> None:
    answered, calls = both(apps, request_, chunks)
    assert calls == 1
    if expected is not None:
        assert status(answered) == expected


def test_a_client_gone_mid_body_is_the_apps_to_handle(apps: Any) -> None:
    answered, calls = both(apps, post(SUB), [SUB[:1000]], disconnect=True)
    assert calls == 1 and answered  # the app's answer to a premature disconnect, whatever it is
