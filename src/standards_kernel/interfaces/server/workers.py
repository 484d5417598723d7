"""Serving: one uvicorn server per worker process, each on its own ``SO_REUSEPORT`` socket.

uvicorn's own ``--workers`` shares one listening socket among its processes; whichever wakes
first accepts every connection then waiting, so clients that connect together all land on one
worker while the others idle. Here each worker binds its own socket to the same port with
``SO_REUSEPORT``, and the kernel (Linux) spreads new connections over the workers' sockets by
their addresses. A worker binds only after its app is built, so no connection waits for a worker
still loading standards. The supervising process holds the port (bound, never listening, so it
is never given a connection), starts the workers with ``spawn``, restarts one that dies after
having served, and stops them all on SIGTERM or Ctrl-C.

Every socket is made as ``IPPROTO_TCP``: asyncio turns TCP_NODELAY on only for sockets that
say so, and without it every keep-alive answer after the first waits ~40 ms for the client's
delayed ACK (uvicorn issue #3149). Where ``SO_REUSEPORT`` does not spread connections (not Linux),
:func:`serve_shared` runs uvicorn's shared-socket workers with the same TCP fix (:class:`TcpConfig`).
Either way the HTTP layer and the event loop are named, each the C one where it is installed
(httptools: :func:`.protocol.protocol_class`; uvloop: :func:`event_loop`).
"""

from __future__ import annotations

import gc
import importlib.util
import inspect
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
import time
from typing import Any

import attrs
import uvicorn
from uvicorn.supervisors import Multiprocess

#: A worker that dies after serving this long is restarted; one that dies sooner stops the server
#: (it would only die again: a port taken, a standard that does not build).
RESTART_AFTER_S = 5.0
STOP_WAIT_S = 10.0


@attrs.frozen
class WorkerSpec:
    """What a worker process needs: where to listen, the app's configuration (app.config_to_text)
    and uvicorn's options."""

    host: str
    port: int
    config: str
    options: dict[str, Any] = attrs.field(factory=dict)


def reuse_port_spreads() -> bool:
    """Whether several ``SO_REUSEPORT`` listeners share the connections (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to (host, port), not yet listening (uvicorn calls listen)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def run_worker(spec: WorkerSpec, *, reuse_port: bool = True) -> None:
    """One worker: build the app (plain evaluations answered by the fast path in front of it),
    then bind and serve until told to stop."""
    from .app import WORKER, config_from_text, create_app
    from .fastpath import FastEvaluations
    from .protocol import protocol_class

    settings, permissions = config_from_text(spec.config)
    litestar = create_app(settings, permissions=permissions)
    app = FastEvaluations(litestar, litestar.state["service"], permissions, WORKER)
    # What the worker holds for its lifetime (modules, the app, its routes and schema) is frozen
    # for the collector: it is not walked again at every collection while evaluations allocate.
    gc.freeze()
    sock = listening_socket(spec.host, spec.port, reuse_port=reuse_port)
    config = uvicorn.Config(app, host=spec.host, port=spec.port, http=protocol_class(), loop=event_loop(),
                            **spec.options)
    uvicorn.Server(config).run(sockets=[sock])


def event_loop() -> str:
    """uvloop (libuv, C) where it is installed, as the server extra installs it, else asyncio's loop:
    named, not left to uvicorn's "auto" (which picks the same), so that the choice is read here.
    uvloop's transports read and write in C: ~0.09 ms less of the loop's CPU a request."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def serve(spec: WorkerSpec, workers: int) -> int:
    """Serve with ``workers`` processes on one port; returns the exit status."""
    if workers == 1:
        run_worker(spec, reuse_port=False)
        return 0
    reserve = listening_socket(spec.host, spec.port, reuse_port=True)  # holds the port, finds port 0's number
    spec = attrs.evolve(spec, port=reserve.getsockname()[1])
    return Supervisor(spec, workers).run(reserve)


class Supervisor:
    """Starts the worker processes, restarts one that dies after serving, stops them together."""

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        self.spec = spec
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[Any] = [None] * workers
        self.started = [0.0] * workers

    def start(self, index: int) -> None:
        process = self.context.Process(target=run_worker, args=(self.spec,), name=f"standards-kernel-worker-{index}")
        process.start()
        self.processes[index], self.started[index] = process, time.monotonic()

    def run(self, reserve: socket.socket) -> int:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            for index in range(len(self.processes)):
                self.start(index)
            print(f"standards-kernel: {len(self.processes)} workers on {self.spec.host}:{self.spec.port}, "
                  "one SO_REUSEPORT socket each", file=sys.stderr, flush=True)
            return self.watch()
        except KeyboardInterrupt:
            return 0
        finally:
            self.stop()
            signal.signal(signal.SIGTERM, previous)
            reserve.close()

    def watch(self) -> int:
        while True:
            multiprocessing.connection.wait([p.sentinel for p in self.processes])
            for index, process in enumerate(self.processes):
                if process.is_alive():
                    continue
                served = time.monotonic() - self.started[index]
                print(f"standards-kernel: worker {process.pid} exited with {process.exitcode} after {served:.0f} s",
                      file=sys.stderr, flush=True)
                if served < RESTART_AFTER_S:
                    return 1
                self.start(index)

    def stop(self) -> None:
        alive = [p for p in self.processes if p is not None and p.is_alive()]
        for process in alive:
            process.terminate()  # SIGTERM: uvicorn finishes the requests in hand, then exits
        deadline = time.monotonic() + STOP_WAIT_S
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# --- where SO_REUSEPORT does not spread connections ------------------------------------------


class TcpConfig(uvicorn.Config):
    """uvicorn's config with its shared socket re-made as ``IPPROTO_TCP`` (see the module's text)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def serve_shared(app: str, workers: int, options: dict[str, Any]) -> None:
    """uvicorn's own workers on one shared socket, for the app factory ``app`` (an import string)."""
    from .protocol import protocol_class

    options = {"http": protocol_class(), "loop": event_loop(), **options}
    if list(inspect.signature(Multiprocess).parameters) != ["config", "sockets"]:
        uvicorn.run(app, factory=True, workers=workers, **options)  # another uvicorn: its own way
        return
    config = TcpConfig(app, factory=True, workers=workers, **options)
    try:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    except KeyboardInterrupt:
        pass


__all__ = ["Supervisor", "TcpConfig", "WorkerSpec", "event_loop", "listening_socket", "reuse_port_spreads", "run_worker",
           "serve", "serve_shared"]
