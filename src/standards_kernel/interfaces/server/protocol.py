"""The HTTP/1.1 layer (uvicorn's h11 protocol) answering a request it cannot parse with a problem.

uvicorn answers a request line, header or framing that HTTP does not allow (a NUL in the path,
a head over 16 KiB, a bad Content-Length) with a ``text/plain`` 400 before the app sees it. Every
other error of the API is a problem (RFC 9457), so this one is too: a client that reads
``application/problem+json`` reads all of them. The protocol class is named explicitly, so the
server parses HTTP the same way wherever it runs (uvicorn's "auto" would pick httptools when it
happens to be installed).
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ...version import __version__
from ...kernel.formats import canonical_json
from .problems import MEDIA_TYPE, problem_data


class ProblemH11Protocol(H11Protocol):
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


__all__ = ["ProblemH11Protocol"]
