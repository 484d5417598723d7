"""Helpers for the API tests: a real ``standards-kernel serve`` on a free loopback port.

The server runs in its own process, started through the command line, and the tests talk HTTP to
it: nothing is called in-process.
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import IO, Callable, Iterator

import httpx
import tomli

from standards_kernel.interfaces.cli.main import main
from standards_kernel.kernel.formats import content_json
from tests.helpers import FIXTURES

COUNTIES = FIXTURES / "counties"
YUANJIANG = COUNTIES / "yunnan" / "yuanjiang-2009.toml"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")


@contextlib.contextmanager
def running_server(*args: str, wait_s: float = 20.0,
                   command: Callable[[int], list[str]] | None = None) -> Iterator[Server]:
    """``standards-kernel serve --port P ARGS`` in a subprocess, until the block ends; ``command``:
    another server process to run instead, given the port it must listen on."""
    port = free_port()
    if command is None:
        argv = [sys.executable, "-m", "standards_kernel", "serve", "--port", str(port), "--no-access-log", *args]
    else:
        argv = command(port)
    # The log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {server.log_text()}")
            try:
                if server.client.get("/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /v1/health in time")
            time.sleep(0.05)
        yield server
    finally:
        server.client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def submission_json(path: Path) -> bytes:
    """A TOML submission as the JSON a client would send: numbers as JSON numbers, exactly."""
    data = tomli.loads(path.read_text("utf-8"), parse_float=Decimal)
    return content_json(data).encode("utf-8")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``standards-kernel`` command, run as its own process."""
    return subprocess.run([sys.executable, "-m", "standards_kernel", *args], capture_output=True, text=True,
                          check=False)


def cli_main(*args: str) -> tuple[int, str]:
    """The command's ``main`` in this process (the same code, without a process per call)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue()
