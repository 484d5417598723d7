"""The HTTP/1.1 layer (interfaces/server/protocol.py) writes a response whose length is known in
one write, head and body together, and everything else as before, in order.

The protocol is driven in-process: request bytes go in through ``data_received``, the writes it
makes land in a transport that records them (the loop is a real one; no socket is involved).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from standards_kernel.interfaces.server.protocol import ProblemH11Protocol

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


def serve(app: Any, *requests: bytes) -> RecordingTransport:
    """Feed ``requests`` (each once the previous has been answered) to a protocol serving ``app``."""
    transport = RecordingTransport()

    async def run() -> None:
        config = uvicorn.Config(app, http=ProblemH11Protocol, log_level="warning", access_log=False)
        config.load()
        protocol = ProblemH11Protocol(config=config, server_state=ServerState(), app_state={},
                                      _loop=asyncio.get_running_loop())
        protocol.connection_made(transport)
        for raw in requests:
            protocol.data_received(raw)
            for _ in range(100):  # until the request's task has answered
                await asyncio.sleep(0)
                if protocol.cycle is None or protocol.cycle.response_complete or transport.closed:
                    break
        protocol.connection_lost(None)

    asyncio.run(run())
    return transport


GET = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_a_sized_answer_is_one_write_head_and_body() -> None:
    transport = serve(sized, GET, GET)
    assert len(transport.writes) == 2  # one per request, on one keep-alive connection
    for write in transport.writes:
        head, _, body = write.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"content-length: %d" % len(BODY) in head
        assert body == BODY


def test_a_head_request_gets_its_head_alone() -> None:
    transport = serve(sized, b"HEAD /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\n")


def test_a_streamed_answer_sends_its_head_at_once_then_each_chunk() -> None:
    transport = serve(streamed, GET)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 ") and transport.writes[0].endswith(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in transport.writes[0].lower()
    assert transport.writes[1:] == [b'9\r\n{"n": 1}\n\r\n', b'9\r\n{"n": 2}\n\r\n', b"0\r\n\r\n"]


def test_an_unparseable_request_gets_one_write_of_a_problem_then_the_close() -> None:
    transport = serve(sized, b"GET /v1/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert len(transport.writes) == 1 and transport.closed
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/problem+json" in head
    assert json.loads(body)["type"] == "/problems/malformed-request"


def test_a_head_held_when_the_app_fails_before_its_body_goes_out_on_close() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("no body after all")

    transport = serve(broken, GET)
    assert transport.closed and len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 ") and transport.writes[0].endswith(b"\r\n\r\n")
