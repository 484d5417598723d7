"""uvicorn's httptools protocol (llhttp, in C) refusing what the h11 one refuses, with the same problem.

The h11 protocol (:mod:`.protocol`) parses and checks in pure Python: with llhttp, in C, the event
loop spends ~0.2 ms less a request (of ~0.75 ms; benchmarks/api_results.md). It is used strictly, as uvicorn
sets it up: no leniency beyond uvicorn's own ``lenient_data_after_close`` (bytes after a request
that said ``Connection: close`` are ignored, as h11 ignores them). What this class adds:

- a request it cannot parse is answered with the malformed-request problem, byte for byte the
  h11 protocol's (llhttp refuses what h11 does, and more: a control character in a header value,
  a folded header line, Content-Length beside Transfer-Encoding, a version such as HTTP/3.7);
- a head over :data:`.protocol.MAX_HEAD_BYTES` is refused as h11 refuses it (llhttp has no
  limit): the URL and each header are counted as llhttp hands them over, and the reads that end
  while a head is still open are counted whole, so a head sent a byte at a time is caught too;
- an HTTP/1.1 request without a ``Host`` header, or any request with two, is refused as h11
  refuses it (RFC 9112 §3.2);
- a request asking for an upgrade the server does not take (``Upgrade: h2c``; websocket is
  uvicorn's) is served as HTTP/1.1 as h11 serves it when it has no body; one with a body, and
  CONNECT, are refused (llhttp would give the body to the new protocol, not to the request);
- a header value's trailing whitespace is dropped, as h11 drops it (RFC 9110 §5.5);
- a request target that is not a path (``http://host/path``, ``*``) reaches the app as h11 gives
  it (the whole target as the path, which no route has), not cut down to its path;
- a response whose length is known goes out in one write (:class:`.protocol.JoinedWrites`).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .protocol import MAX_HEAD_BYTES, JoinedWrites, malformed_request


class HeadTooLarge(Exception):
    """Raised in a parser callback: llhttp stops and the protocol answers the malformed-request problem."""


class BadHost(Exception):
    """Raised in a parser callback for an HTTP/1.1 request without a Host, or any with two."""


class UpgradeNotTaken(Exception):
    """Raised in a parser callback for a CONNECT, or a request with a body asking for an upgrade
    not taken: llhttp would hand the body over as the new protocol's bytes, not as the body."""


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_open = False  # a request's head has begun and is not complete
        self.head_bytes = 0  # of that head: its URL and headers as parsed so far
        self.head_reads = 0  # of that head: the reads wholly inside it
        self.headed: object = None  # the request whose response head was last written

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Every later write, the protocol's own and each request's, goes through JoinedWrites.
        self.transport = JoinedWrites(transport, self._sized_head)  # type: ignore[assignment]

    def _sized_head(self, data: bytes) -> bool:
        # A request's first write once its response started is its head (uvicorn writes it in the
        # same step as it marks the start); a 100 Continue is written before the start.
        cycle = self.cycle
        if cycle is None or not cycle.response_started or cycle is self.headed:
            return False
        self.headed = cycle
        return cycle.chunked_encoding is False and cycle.scope["method"] != "HEAD"  # HEAD: no body follows

    def data_received(self, data: bytes) -> None:
        was_open = self.head_open
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("")
            return
        except httptools.HttpParserUpgrade as upgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            elif len(data) > upgrade.args[0]:
                # An upgrade not taken (h2c, say), of a request without a body (see on_headers_complete):
                # llhttp ended the request at its head, as h11 does, and what follows is the next one.
                self.data_received(data[upgrade.args[0]:])
            return
        if was_open and self.head_open and not self.transport.is_closing():
            self.head_reads += len(data)
            if self.head_reads > MAX_HEAD_BYTES:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_open, self.head_bytes, self.head_reads = True, 0, 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 3)  # at least ":" and CRLF besides
        super().on_header(name, value.rstrip(b" \t"))  # llhttp keeps the whitespace after a value; h11 drops it

    def _count(self, size: int) -> None:
        self.head_bytes += size
        if self.head_bytes > MAX_HEAD_BYTES:
            raise HeadTooLarge

    def on_headers_complete(self) -> None:
        self.head_open = False
        hosts = sum(name == b"host" for name, _ in self.headers)
        if hosts > 1 or (hosts == 0 and self.parser.get_http_version() == "1.1"):
            raise BadHost  # RFC 9112 §3.2, as h11 refuses it (llhttp does not look)
        if self.parser.should_upgrade() and not self._should_upgrade() and (
                self.parser.get_method() == b"CONNECT"
                or any(name == b"transfer-encoding" or (name == b"content-length" and value.strip(b"0") != b"")
                       for name, value in self.headers)):
            raise UpgradeNotTaken
        super().on_headers_complete()
        if not self.url.startswith(b"/") and self.scope.get("path") is not None:
            # What h11's protocol gives the app for a target that is not a path (the task that
            # runs the app has been made, not started: it reads this scope).
            raw_path, _, query = self.url.partition(b"?")
            self.scope["path"] = self.root_path + unquote(raw_path.decode("ascii"))
            self.scope["raw_path"] = self.root_path.encode("ascii") + raw_path
            self.scope["query_string"] = query

    def send_400_response(self, msg: str) -> None:
        cycle = self.cycle
        if cycle is None or not cycle.response_started or cycle.response_complete:  # else: just close
            headers, body = malformed_request()
            self.transport.write(b"".join([b"HTTP/1.1 400 Bad Request\r\n", *(b"%s: %s\r\n" % pair for pair in headers),
                                           b"\r\n", body]))
        self.transport.close()


__all__ = ["ProblemHttpToolsProtocol"]
