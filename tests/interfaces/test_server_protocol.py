"""The HTTP/1.1 layers (interfaces/server/protocol.py, httptools_protocol.py) write a response
whose length is known in one write, head and body together, and everything else as before, in
order; the httptools one refuses what the h11 one refuses, with the same bytes, and gives the
app the same scope.

The protocol is driven in-process: request bytes go in through ``data_received``, the writes it
makes land in a transport that records them (the loop is a real one; no socket is involved).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import uvicorn
from hypothesis import given, settings, strategies as st
from uvicorn.server import ServerState

from standards_kernel.interfaces.server.httptools_protocol import ProblemHttpToolsProtocol
from standards_kernel.interfaces.server.protocol import MAX_HEAD_BYTES, ProblemH11Protocol, protocol_class

PROTOCOLS = [ProblemH11Protocol, ProblemHttpToolsProtocol]

BODY = b'{"answer": "' + b"x" * 100_000 + b'"}'


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what is written, each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        if data:
            self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def sized(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


async def streamed(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/x-ndjson")]})
    for line in (b'{"n": 1}\n', b'{"n": 2}\n'):
        await send({"type": "http.response.body", "body": line, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def serve(app: Any, *requests: bytes, kind: type[Any] = ProblemH11Protocol) -> RecordingTransport:
    """Feed ``requests`` (each once the previous has been answered, none once the connection is
    closed) to a protocol serving ``app``."""
    transport = RecordingTransport()

    async def run() -> None:
        config = uvicorn.Config(app, http=kind, log_level="warning", access_log=False)
        config.load()
        protocol = kind(config=config, server_state=ServerState(), app_state={},
                        _loop=asyncio.get_running_loop())
        protocol.connection_made(transport)
        for raw in requests:
            if transport.closed:
                break
            protocol.data_received(raw)
            for _ in range(100):  # until the request's task has answered
                await asyncio.sleep(0)
                if protocol.cycle is None or protocol.cycle.response_complete or transport.closed:
                    break
        protocol.connection_lost(None)

    asyncio.run(run())
    return transport


GET = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_sized_answer_is_one_write_head_and_body(protocol: type[Any]) -> None:
    transport = serve(sized, GET, GET, kind=protocol)
    assert len(transport.writes) == 2  # one per request, on one keep-alive connection
    for write in transport.writes:
        head, _, body = write.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"content-length: %d" % len(BODY) in head
        assert body == BODY


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_head_request_gets_its_head_alone(protocol: type[Any]) -> None:
    transport = serve(sized, b"HEAD /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", kind=protocol)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\n")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_streamed_answer_sends_its_head_at_once_then_each_chunk(protocol: type[Any]) -> None:
    transport = serve(streamed, GET, kind=protocol)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 ") and transport.writes[0].endswith(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in transport.writes[0].lower()
    assert transport.writes[1:] == [b'9\r\n{"n": 1}\n\r\n', b'9\r\n{"n": 2}\n\r\n', b"0\r\n\r\n"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_unparseable_request_gets_one_write_of_a_problem_then_the_close(protocol: type[Any]) -> None:
    transport = serve(sized, b"GET /v1/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", kind=protocol)
    assert len(transport.writes) == 1 and transport.closed
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/problem+json" in head
    assert json.loads(body)["type"] == "/problems/malformed-request"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_head_held_when_the_app_fails_before_its_body_goes_out_on_close(protocol: type[Any]) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("no body after all")

    transport = serve(broken, GET, kind=protocol)
    assert transport.closed and len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 ") and transport.writes[0].endswith(b"\r\n\r\n")


# --- httptools' protocol refuses and passes on what h11's does ---------------------------------


async def whole_body(receive: Any) -> bytes:
    """The request's body, every message of it (as an app reads it)."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def seen_by_app(raw: bytes, kind: type[Any]) -> tuple[list[dict[str, Any]], RecordingTransport]:
    """The scopes (what the app reads of them) and the writes when ``raw`` is fed at once."""
    scopes: list[dict[str, Any]] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        body = await whole_body(receive)
        scopes.append({key: scope[key] for key in ("method", "path", "raw_path", "query_string", "headers",
                                                   "http_version")} | {"body": body})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return scopes, serve(recording, raw, kind=kind)


def problem_400(transport: RecordingTransport) -> bool:
    return (transport.closed and len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 400 ")
            and json.loads(transport.writes[0].partition(b"\r\n\r\n")[2])["type"] == "/problems/malformed-request")


def test_httptools_is_the_protocol_where_it_is_installed() -> None:
    assert protocol_class() is ProblemHttpToolsProtocol


#: Refused at the head: the app is never called.
REFUSED = [
    b"GET /v1/\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",  # no Host
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX : b\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
]
#: Refused at the body (the app may have been called: it reads no body); nothing but the problem goes out.
REFUSED_BODY = [
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n{}",
]
#: Refused by llhttp at once, where h11 passes the request on (the app refuses HTTP/3.7; a folded
#: line, which RFC 9112 §5.2 lets a server refuse), waits for more (a chunk size of "{}"), or takes
#: a head over the limit that came in one read.
REFUSED_BY_HTTPTOOLS = [
    b"GET / HTTP/3.7\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(10_000)) + b"\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\x01\r\nContent-Length: 2\r\n\r\n{}",
    # An upgrade not taken, with a body (llhttp would give the body to the new protocol); CONNECT.
    b"POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n{}",
    b"POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
]


@pytest.mark.parametrize("raw", REFUSED + REFUSED_BODY, ids=range(len(REFUSED + REFUSED_BODY)))
def test_httptools_refuses_what_h11_refuses_with_the_same_bytes(raw: bytes) -> None:
    answers = {}
    for kind in PROTOCOLS:
        scopes, transport = seen_by_app(raw, kind)
        assert problem_400(transport), (kind, transport.writes)
        assert (not scopes) if raw in REFUSED else all(scope["body"] == b"" for scope in scopes)
        answers[kind] = transport.writes
    assert answers[ProblemH11Protocol] == answers[ProblemHttpToolsProtocol]


@pytest.mark.parametrize("raw", REFUSED_BY_HTTPTOOLS, ids=range(len(REFUSED_BY_HTTPTOOLS)))
def test_httptools_refuses_more_at_once(raw: bytes) -> None:
    scopes, transport = seen_by_app(raw, ProblemHttpToolsProtocol)
    assert problem_400(transport) and not scopes


PASSED = [
    GET,
    b"GET /a%20b/%2e%2e?x=1&y=%00 HTTP/1.1\r\nHost: a\r\nX-Tab: a\tb\r\nX-High: \xe5\x85\x83\r\n\r\n",
    b"GET http://evil.example/v1/health?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",  # the whole target as the path
    b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",  # HTTP/1.0 needs no Host
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n",  # not taken
    b"GET / HTTP/1.1\r\nHost: a\r\nX: b \t\r\nY:c\r\nZ:  \r\n\r\n",  # whitespace around values
    b"POST /v1/evaluations HTTP/1.1\r\nHost: a\r\nContent-Length: 60000\r\n\r\n" + b"7" * 60_000,  # one read
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1;x=y\r\n \r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * (MAX_HEAD_BYTES - 100) + b"\r\n\r\n",  # a head just within the limit
]


@pytest.mark.parametrize("raw", PASSED, ids=range(len(PASSED)))
def test_httptools_gives_the_app_what_h11_gives_it(raw: bytes) -> None:
    h11_scopes, h11_transport = seen_by_app(raw, ProblemH11Protocol)
    scopes, transport = seen_by_app(raw, ProblemHttpToolsProtocol)
    assert len(scopes) == 1 and scopes == h11_scopes
    assert transport.writes[0].startswith(b"HTTP/1.1 200 ") and len(transport.writes) == len(h11_transport.writes)


@settings(max_examples=60, deadline=None)
@given(path=st.text(st.sampled_from("abc/-._~%20+!$&'()*,;=:@"), max_size=30),
       query=st.text(st.sampled_from("abc=&%2F+?/"), max_size=20),
       headers=st.lists(st.tuples(st.text(st.sampled_from("abcXYZ-_0"), min_size=1, max_size=8),
                                  st.text(st.sampled_from("abc 12;,=\t\"é元"), max_size=12)), max_size=5))
def test_httptools_and_h11_agree_on_random_requests(path: str, query: str, headers: list[tuple[str, str]]) -> None:
    head = f"GET /{path}{'?' + query if query else ''} HTTP/1.1\r\nHost: a\r\n".encode()
    raw = head + b"".join(f"{name}: {value}\r\n".encode() for name, value in headers) + b"\r\n"
    h11_scopes, h11_transport = seen_by_app(raw, ProblemH11Protocol)
    scopes, transport = seen_by_app(raw, ProblemHttpToolsProtocol)
    assert scopes == h11_scopes and len(transport.writes) == len(h11_transport.writes)
    assert [w[:12] for w in transport.writes] == [w[:12] for w in h11_transport.writes]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_head_sent_a_little_at_a_time_is_refused_past_the_limit(protocol: type[Any]) -> None:
    head = b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * (4 * MAX_HEAD_BYTES)
    reads = [head[i:i + 1000] for i in range(0, len(head), 1000)]
    transport = serve(sized, *reads, kind=protocol)
    assert problem_400(transport)


def test_a_head_within_the_limit_sent_a_little_at_a_time_is_answered() -> None:
    raw = b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * (MAX_HEAD_BYTES - 1000) + b"\r\n\r\n"
    for kind in PROTOCOLS:
        transport = serve(sized, *(raw[i:i + 700] for i in range(0, len(raw), 700)), kind=kind)
        assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 ")


def test_after_an_upgrade_not_taken_the_next_request_in_the_same_read_is_answered() -> None:
    upgrade = (b"GET /a HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
               b"HTTP2-Settings: x\r\n\r\n")
    raw = upgrade + b"POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"
    for kind in PROTOCOLS:
        scopes, transport = seen_by_app(raw, kind)
        assert [(scope["path"], scope["body"]) for scope in scopes] == [("/a", b""), ("/b", b"{}")], kind
        assert b"".join(transport.writes).count(b"HTTP/1.1 200 ") == 2


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_100_continue_goes_out_alone_before_the_joined_answer(protocol: type[Any]) -> None:
    async def reading(scope: Any, receive: Any, send: Any) -> None:
        body = await whole_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    head = b"POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    transport = serve(reading, head, b"{}", kind=protocol)
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n" and len(transport.writes) == 2
    assert transport.writes[1].startswith(b"HTTP/1.1 200 ") and transport.writes[1].endswith(b"\r\n\r\n{}")
