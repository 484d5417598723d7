"""The HTTP/1.1 layer (uvicorn's h11 protocol) answering a request it cannot parse with a problem.

uvicorn answers a request line, header or framing that HTTP does not allow (a NUL in the path,
a head over 16 KiB, a bad Content-Length) with a ``text/plain`` 400 before the app sees it. Every
other error of the API is a problem (RFC 9457), so this one is too: a client that reads
``application/problem+json`` reads all of them. The protocol class is named explicitly, so the
server parses HTTP the same way wherever it runs (uvicorn's "auto" would pick httptools when it
happens to be installed).

A response whose length is known goes out in one write, head and body together (:class:`JoinedWrites`):
uvicorn writes the head when the app starts the response and the body when it sends it, two
sends and, with TCP_NODELAY, two packets and two wake-ups of the client for every evaluation.
httptools (uvicorn's C parser) would spend less time per request than h11, but llhttp refuses a
control character in a header value with its own 400 where the guard answers 415 (a ``Content-Type``
of ``application/json\x01`` on a recording request), and its lenient mode would let a CR through:
h11 stays.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ...version import __version__
from ...kernel.formats import canonical_json
from .problems import MEDIA_TYPE, problem_data


class JoinedWrites:
    """The connection's transport, holding a response's head back until the body's first bytes,
    when the head says how long the body is (Content-Length): every write of the connection goes
    through here, in order, so what is held goes out first with whatever is written next (or on
    close). A streamed (chunked) response's head goes out at once, as do interim (100) answers."""

    def __init__(self, transport: asyncio.Transport, conn: h11.Connection) -> None:
        self.transport = transport
        self.conn = conn
        self.held = b""

    def write(self, data: bytes) -> None:
        if self.held:
            data, self.held = self.held + data, b""
        elif self.conn.our_state is h11.SEND_BODY and data.startswith(b"HTTP/1.1 ") and b"\r\ncontent-length: " in data:
            self.held = data  # the head h11 just wrote (the state says it; the body comes next)
            return
        self.transport.write(data)

    def close(self) -> None:
        if self.held and not self.transport.is_closing():
            self.transport.write(self.held)
        self.held = b""
        self.transport.close()

    def __getattr__(self, name: str) -> Any:  # the rest of the transport's interface, as it is
        return getattr(self.transport, name)


class ProblemH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Every later write, the protocol's own and each request's, goes through JoinedWrites.
        self.transport = JoinedWrites(transport, self.conn)  # type: ignore[assignment]

    def send_400_response(self, msg: str) -> None:
        body = canonical_json(problem_data(
            "malformed-request", "the request is not valid HTTP/1.1, or its head is too large",
            hint="check the request line, the headers (at most 16 KiB in all) and Content-Length")).encode("utf-8")
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                   (b"standards-kernel-version", __version__.encode()), (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            try:
                self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:  # h11 may refuse to answer at all in its state: just close
                break
        self.transport.close()


__all__ = ["JoinedWrites", "ProblemH11Protocol"]
