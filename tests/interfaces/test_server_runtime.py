"""The server's runtime (#13): evaluations off the event loop, clients spread over the workers.

Real ``standards-kernel serve`` processes on loopback; the tests talk HTTP to them. No test
asserts a duration: they assert orders of events (a health check answered while an evaluation
is still running) and who answered (the worker's process id in ``Standards-Kernel-Worker``).
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import httpx
import pytest

from standards_kernel.interfaces.server.workers import listening_socket
from tests.helpers.server import YUANJIANG, Server, cli, free_port, running_server, submission_json

WORKER = "standards-kernel-worker"


def parent_of(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ')'.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1])


def workers_of(pid: int) -> set[int]:
    """The worker processes a supervisor started (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")}


@pytest.fixture(scope="module")
def large_county() -> bytes:
    """A 4,000-school county: one evaluation of it keeps a worker busy for a while."""
    from standards_kernel.batch.synth import generate
    from standards_kernel.kernel.formats import content_json
    from standards_kernel.kernel.registry import default_registry

    key = "national.quality-balance@2017"
    data = next(iter(generate(default_registry().get(key), 1, 4000, 11, standard_ref=key)))
    return content_json(data).encode("utf-8")


def test_simultaneous_clients_reach_every_worker() -> None:
    with running_server("--workers", "2", wait_s=60) as server:
        seen: dict[str, int] = {}
        deadline = time.monotonic() + 60

        def one_client(_: int) -> str:
            # A fresh connection each: the kernel spreads connections, not requests.
            with httpx.Client(base_url=server.url, timeout=30) as client:
                response = client.post("/v1/evaluations", content=submission_json(YUANJIANG))
                assert response.status_code == 200, response.text
                return response.headers[WORKER]

        with ThreadPoolExecutor(8) as pool:
            while len(seen) < 2 and time.monotonic() < deadline:  # the second worker may still be starting
                for pid in pool.map(one_client, range(8)):
                    seen[pid] = seen.get(pid, 0) + 1
        assert len(seen) == 2, seen
        # They are the server's own worker processes, not the supervisor.
        assert all(parent_of(int(pid)) == server.process.pid for pid in seen)
        assert str(server.process.pid) not in seen
        assert "one SO_REUSEPORT socket each" in server.log_text()


def test_a_worker_answers_health_while_it_evaluates(large_county: bytes) -> None:
    with running_server(wait_s=60) as server:  # one worker: the one that is busy
        done = threading.Event()
        evaluation: list[float] = []

        def evaluate() -> None:
            with httpx.Client(base_url=server.url, timeout=300) as client:
                sent = time.perf_counter()
                assert client.post("/v1/evaluations", content=large_county).status_code == 200
                evaluation.append(time.perf_counter() - sent)
            done.set()

        runner = threading.Thread(target=evaluate)
        runner.start()
        answered_during, latencies = 0, []
        while not done.is_set():
            sent = time.perf_counter()
            assert server.client.get("/v1/health").status_code == 200
            latencies.append(time.perf_counter() - sent)
            answered_during += not done.is_set()
            time.sleep(0.01)
        runner.join()
        assert evaluation, "the evaluation failed"
        # Health went on while the county was scored. With the evaluation on the event loop, one
        # health check waited for all of it (measured: 827 ms of an 838 ms evaluation) and only
        # the checks before and after it were answered.
        assert answered_during >= 5, (answered_during, latencies, evaluation)
        assert max(latencies) < evaluation[0] / 2, (latencies, evaluation)


def test_a_port_in_use_is_a_clear_error() -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        for workers in ("1", "2"):
            done = cli("serve", "--port", str(port), "--workers", workers)
            assert done.returncode == 2, done.stderr
            assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr


def test_worker_sockets_share_the_port_and_say_they_are_tcp() -> None:
    # asyncio turns TCP_NODELAY on only for sockets whose proto is IPPROTO_TCP (uvicorn #3149).
    first = listening_socket("127.0.0.1", 0, reuse_port=True)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port, reuse_port=True)
    try:
        for sock in (first, second):
            assert sock.proto == socket.IPPROTO_TCP
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            sock.listen()
        with socket.create_connection(("127.0.0.1", port)):
            accepted = None
            for sock in (first, second):
                sock.settimeout(0.2)
                try:
                    accepted, _ = sock.accept()
                    break
                except TimeoutError:
                    continue
            assert accepted is not None
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP
    finally:
        first.close()
        second.close()


def answering_workers(server: Server, count: int) -> set[int]:
    """The pids of the workers answering health checks, until ``count`` have (or a minute passed)."""
    pids: set[int] = set()
    deadline = time.monotonic() + 60
    while len(pids) < count and time.monotonic() < deadline:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            pids.add(int(client.get("/v1/health").headers[WORKER]))
    return pids


def test_stopping_the_server_stops_its_workers() -> None:
    with running_server("--workers", "2", wait_s=60) as server:
        pids = answering_workers(server, 2)
    # running_server sent SIGTERM to the supervisor and waited for it.
    assert server.process.returncode is not None
    assert len(pids) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in pids)  # joined, not orphaned


def test_a_worker_that_dies_after_serving_is_replaced() -> None:
    import os
    import signal

    from standards_kernel.interfaces.server.workers import RESTART_AFTER_S

    with running_server("--workers", "2", wait_s=60) as server:
        started = time.monotonic()
        pids = answering_workers(server, 2)
        time.sleep(max(0.0, started + RESTART_AFTER_S + 0.5 - time.monotonic()))
        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        replaced: set[int] = set()
        deadline = time.monotonic() + 60
        while not replaced and time.monotonic() < deadline:
            replaced = workers_of(server.process.pid) - pids
            time.sleep(0.1)
        assert replaced, "no new worker"
        assert server.process.poll() is None
        seen: set[int] = set()
        while not (seen & replaced) and time.monotonic() < deadline:  # the new one serves once it is ready
            with httpx.Client(base_url=server.url, timeout=30) as client:
                response = client.get("/v1/health")
                assert response.status_code == 200
                seen.add(int(response.headers[WORKER]))
        assert seen & replaced and victim not in seen
        assert f"worker {victim} exited with -9" in server.log_text()


def test_every_worker_parses_with_httptools_and_runs_on_uvloop_where_installed() -> None:
    import importlib.util

    with running_server("--workers", "2", wait_s=60) as server:
        pids = answering_workers(server, 2)
        # The C extensions each worker has loaded (the server extra installs both).
        maps = {pid: Path(f"/proc/{pid}/maps").read_text() for pid in pids}
    assert len(maps) == 2
    for text in maps.values():
        assert ("/httptools/parser/parser." in text) == (importlib.util.find_spec("httptools") is not None)
        assert ("/uvloop/loop." in text) == (importlib.util.find_spec("uvloop") is not None)
        assert importlib.util.find_spec("httptools") is not None  # the suite runs with the server extra
