"""The HTTP/1.1 layer (uvicorn's protocols) answering a request it cannot parse with a problem.

uvicorn answers a request line, header or framing that HTTP does not allow (a NUL in the path,
a head over 16 KiB, a bad Content-Length) with a ``text/plain`` 400 before the app sees it. Every
other error of the API is a problem (RFC 9457), so this one is too: a client that reads
``application/problem+json`` reads all of them. The protocol class is named explicitly
(:func:`protocol_class`): httptools' (C, llhttp; :mod:`.httptools_protocol`) where httptools is
installed, as the ``server`` extra does, h11's (pure Python, here) where it is not. Both refuse
the same requests with the same bytes, except that llhttp also refuses a control character in a
header value (RFC 9110 §5.5), which h11 lets through to the app.

A response whose length is known goes out in one write, head and body together (:class:`JoinedWrites`):
uvicorn writes the head when the app starts the response and the body when it sends it, two
sends and, with TCP_NODELAY, two packets and two wake-ups of the client for every evaluation.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ...version import __version__
from ...kernel.formats import canonical_json
from .problems import MEDIA_TYPE, problem_data

#: The largest request head (request line and headers) either protocol takes: h11's default.
MAX_HEAD_BYTES = h11._connection.DEFAULT_MAX_INCOMPLETE_EVENT_SIZE


def malformed_request() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of the 400 problem answering a request that is not valid HTTP."""
    body = canonical_json(problem_data(
        "malformed-request", "the request is not valid HTTP/1.1, or its head is too large",
        hint="check the request line, the headers (at most 16 KiB in all) and Content-Length")).encode("utf-8")
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
               (b"standards-kernel-version", __version__.encode()), (b"connection", b"close")]
    return headers, body


class JoinedWrites:
    """The connection's transport, holding a response's head back until the body's first bytes,
    when the head says how long the body is (Content-Length; ``sized_head`` tells, from the
    protocol's state, whether a write is such a head): every write of the connection goes
    through here, in order, so what is held goes out first with whatever is written next (or on
    close). A streamed (chunked) response's head goes out at once, as do interim (100) answers."""

    def __init__(self, transport: asyncio.Transport, sized_head: Callable[[bytes], bool]) -> None:
        self.transport = transport
        self.sized_head = sized_head
        self.held = b""

    def write(self, data: bytes) -> None:
        if self.held:
            data, self.held = self.held + data, b""
        elif self.sized_head(data):
            self.held = data
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
        self.transport = JoinedWrites(transport, self._sized_head)  # type: ignore[assignment]

    def _sized_head(self, data: bytes) -> bool:
        # The head h11 just wrote (its state says the body comes next) of a response with a length.
        return (self.conn.our_state is h11.SEND_BODY and data.startswith(b"HTTP/1.1 ")
                and b"\r\ncontent-length: " in data)

    def send_400_response(self, msg: str) -> None:
        headers, body = malformed_request()
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            try:
                self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:  # h11 may refuse to answer at all in its state: just close
                break
        self.transport.close()


def protocol_class() -> type[asyncio.Protocol]:
    """httptools' protocol where httptools is installed, h11's where it is not."""
    try:
        from .httptools_protocol import ProblemHttpToolsProtocol
    except ImportError:
        return ProblemH11Protocol
    return ProblemHttpToolsProtocol


__all__ = ["MAX_HEAD_BYTES", "JoinedWrites", "ProblemH11Protocol", "malformed_request", "protocol_class"]
