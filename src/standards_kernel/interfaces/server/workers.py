"""Several uvicorn worker processes on one port, with TCP_NODELAY on every connection.

uvicorn binds the listening socket for its workers with ``proto`` 0; accepted connections
inherit it, and asyncio then leaves Nagle's algorithm on (it sets TCP_NODELAY only when the
socket says ``IPPROTO_TCP``). Every keep-alive response after the first then waits about 40 ms for
the client's delayed ACK (uvicorn issue #3149: measured here, a health check went from 0.3 ms to
44 ms with ``--workers 2``). :class:`TcpConfig` re-wraps the socket as TCP; :func:`serve_workers`
is what ``uvicorn.run(app, workers=N)`` does, with that config.
"""

from __future__ import annotations

import inspect
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess


class TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def serve_workers(app: str, workers: int, options: dict[str, Any]) -> None:
    """Serve the app factory ``app`` (an import string) in ``workers`` processes."""
    if list(inspect.signature(Multiprocess).parameters) != ["config", "sockets"]:
        # Another uvicorn than the one this was written against: let it run its own way.
        uvicorn.run(app, factory=True, workers=workers, **options)
        return
    config = TcpConfig(app, factory=True, workers=workers, **options)
    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    except KeyboardInterrupt:
        pass
