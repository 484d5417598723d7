"""Benchmark of the HTTP API: what one worker serves against the same work in-process, what two
workers serve against one with simultaneous clients, how fast /v1/health stays while every worker
is busy, batch throughput, and where the time of one evaluation goes.

Run: python benchmarks/api_load.py [--workers 1,2] [--clients 8] [--seconds 20] [--counties 8]
         [--batch 40] [--profile] [--write benchmarks/api_results.md]

The counties are 100-school counties under national.quality-balance@2017, made deterministically
by standards_kernel.batch.synth (fixed seed, so every run scores the same bodies). The server is the
real command (`standards-kernel serve --workers N`) on a free loopback port; the clients are
asyncio connections with keep-alive, in this process, on the same machine (they take CPU from the
server: the figures are a floor for a separate client machine). No test asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import multiprocessing
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STANDARD = "national.quality-balance@2017"
SEED = 2017


# --- the counties ------------------------------------------------------------------------------


def counties(count: int, schools: int) -> list[bytes]:
    from standards_kernel.kernel.formats import content_json
    from standards_kernel.kernel.registry import default_registry
    from standards_kernel.batch.synth import generate

    standard = default_registry().get(STANDARD)
    return [content_json(data).encode("utf-8")
            for data in generate(standard, count, schools, SEED, standard_ref=STANDARD)]


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "standards_kernel", "serve", "--port", str(self.port),
                   "--workers", str(workers), "--no-access-log", "--max-body-bytes", str(64 * 1024 * 1024)]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        seen: set[bytes] = set()
        while time.monotonic() < deadline:  # until every worker has answered (each binds when ready)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    answer = sock.recv(4096)
                    if answer.startswith(b"HTTP/1.1 200"):
                        seen.add(answer.lower().split(b"standards-kernel-worker: ")[1].split(b"\r\n")[0])
                        if len(seen) == workers:
                            return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def worker_pids(self) -> list[int]:
        """The processes that serve: the workers (children) or, with one worker, the server itself."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [p for p in pids if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()] or [self.process.pid]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


# --- a small keep-alive HTTP/1.1 client --------------------------------------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
                      ) -> tuple[int, bytes, str]:
        """(status, body, the worker that answered)."""
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("ascii")
        self.writer.write(head + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        worker = headers.get("standards-kernel-worker", "?")
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"])), worker
        chunks = []
        while True:  # chunked transfer (the streamed batch)
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(chunks), worker
            chunks.append(chunk[:-2])

    def close(self) -> None:
        self.writer.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far (all their threads), from /proc."""
    return sum(_ticks(Path(f"/proc/{pid}/stat")) for pid in pids) / os.sysconf("SC_CLK_TCK")


def loop_cpu_seconds(pids: list[int]) -> float:
    """CPU time so far of the processes' main threads: uvicorn's event loop (HTTP, the app); the
    rest of a worker's time is its evaluation thread's."""
    return sum(_ticks(Path(f"/proc/{pid}/task/{pid}/stat")) for pid in pids) / os.sysconf("SC_CLK_TCK")


def _ticks(stat: Path) -> int:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


async def load(port: int, clients: int, seconds: float, warmup: float, method: str, path: str,
               bodies: list[bytes], probe: str | None = None, pids: list[int] | None = None) -> dict[str, Any]:
    """``clients`` connections sending requests back to back; with ``probe``, one more connection
    sends GET ``probe`` every 20 ms meanwhile and its latencies are reported apart."""
    latencies: list[float] = []
    probed: list[float] = []
    workers: dict[str, int] = {}
    errors = 0
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def client(number: int) -> None:
        nonlocal errors
        connection = await Connection.open(port)
        i = number
        try:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                status, _, worker = await connection.request(method, path, bodies[i % len(bodies)] if bodies else b"")
                done = time.perf_counter()
                i += 1
                if sent >= measure_from:
                    latencies.append(done - sent)
                    errors += status != 200
                    workers[worker] = workers.get(worker, 0) + 1
        finally:
            connection.close()

    prober = None
    if probe:  # in its own process, so that the clients' work here does not delay its answers
        results = multiprocessing.get_context("spawn").Queue()
        prober = multiprocessing.get_context("spawn").Process(
            target=probe_health, args=(port, probe, time.time() + measure_from - time.perf_counter(),
                                       time.time() + stop_at - time.perf_counter(), results))
        prober.start()
    cpu: list[float] = []
    loop_cpu: list[float] = []

    async def meter() -> None:  # the workers' CPU time over the measured window
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        cpu.append(cpu_seconds(pids or []))
        loop_cpu.append(loop_cpu_seconds(pids or []))
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        cpu.append(cpu_seconds(pids or []))
        loop_cpu.append(loop_cpu_seconds(pids or []))

    await asyncio.gather(*(client(n) for n in range(clients)), meter())
    if prober is not None:
        probed = results.get(timeout=60)
        prober.join()
    return {**percentiles(latencies), "requests": len(latencies), "errors": errors, "rps": len(latencies) / seconds,
            "workers": workers, "probe": percentiles(probed) if probe else None, "cpu_s": cpu[1] - cpu[0],
            "loop_cpu_s": loop_cpu[1] - loop_cpu[0]}


def probe_health(port: int, path: str, measure_from: float, stop_at: float, results: Any) -> None:
    """GET ``path`` every 20 ms on one keep-alive connection; puts the latencies (seconds) of those
    sent between the wall-clock times ``measure_from`` and ``stop_at`` on ``results``."""
    latencies = []
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii")
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = sock.makefile("rb")
        while time.time() < stop_at:
            sent, wall = time.perf_counter(), time.time()
            sock.sendall(request)
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            if wall >= measure_from:
                assert status.startswith(b"HTTP/1.1 200"), status
                latencies.append(time.perf_counter() - sent)
            time.sleep(0.02)
    results.put(latencies)


def idle_health(port: int, path: str, seconds: float) -> dict[str, Any]:
    """The same probe against the server with nothing else to do: the floor the machine allows."""
    results = multiprocessing.get_context("spawn").Queue()
    prober = multiprocessing.get_context("spawn").Process(
        target=probe_health, args=(port, path, time.time() + 1, time.time() + 1 + seconds, results))
    prober.start()
    latencies = results.get(timeout=seconds + 60)
    prober.join()
    return percentiles(latencies)


def percentiles(latencies: list[float]) -> dict[str, Any]:
    latencies = sorted(latencies)
    if not latencies:
        return {"n": 0}
    return {
        "n": len(latencies),
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p90_ms": 1000 * latencies[int(len(latencies) * 0.9)],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max_ms": 1000 * latencies[-1],
    }


async def batch(port: int, bodies: list[bytes], size: int, clients: int) -> dict[str, Any]:
    ndjson = b"".join(bodies[i % len(bodies)] + b"\n" for i in range(size))

    async def one() -> tuple[float, int]:
        connection = await Connection.open(port)
        try:
            sent = time.perf_counter()
            status, content, _ = await connection.request("POST", "/v1/evaluations/batch", ndjson,
                                                           "application/x-ndjson")
            assert status == 200, status
            lines = content.count(b"\n")
            return time.perf_counter() - sent, lines
        finally:
            connection.close()

    started = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    done = sum(lines for _, lines in results)
    assert done == size * clients, (done, size * clients)
    return {"counties": done, "seconds": elapsed, "per_s": done / elapsed, "body_mb": len(ndjson) / 1e6}


# --- the same work in this process, no HTTP ----------------------------------------------------


def breakdown(bodies: list[bytes], runs: int, profile: bool) -> tuple[dict[str, float], str]:
    from standards_kernel.audit.decision import analysed
    from standards_kernel.interfaces.server.bodies import parse_json
    from standards_kernel.kernel.evaluate import evaluate
    from standards_kernel.kernel.registry import default_registry
    from standards_kernel.kernel.submission import submission_from_data

    standard = default_registry().get(STANDARD)
    phases: dict[str, list[float]] = {k: [] for k in ("parse JSON", "check + build submission", "evaluate",
                                                      "gaps + next grade", "canonical JSON (as the server writes it)",
                                                      "UTF-8 body")}

    def once(body: bytes) -> None:
        t0 = time.perf_counter()
        data = parse_json(body)
        t1 = time.perf_counter()
        submission = submission_from_data(data, file="<bench>")
        t2 = time.perf_counter()
        evaluation = evaluate(submission, standard)
        t3 = time.perf_counter()
        decision = analysed(evaluation)
        t4 = time.perf_counter()
        text = decision.to_json()  # with the submission's hash, computed once per submission
        t5 = time.perf_counter()
        text.encode("utf-8")
        t6 = time.perf_counter()
        for key, spent in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            phases[key].append(spent)

    for i in range(runs):
        once(bodies[i % len(bodies)])
    medians = {k: 1000 * statistics.median(v) for k, v in phases.items()}
    text = ""
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(20):
            once(bodies[i % len(bodies)])
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
        text = stream.getvalue()
    return medians, text


def http_layer() -> str:
    """Which uvicorn protocol the workers parse HTTP with, on which loop (workers.run_worker names both)."""
    from importlib.metadata import version
    from standards_kernel.interfaces.server.protocol import ProblemH11Protocol, protocol_class
    from standards_kernel.interfaces.server.workers import event_loop

    parser = (f"h11 {version('h11')} (pure Python)" if protocol_class() is ProblemH11Protocol
              else f"httptools {version('httptools')} (llhttp, C)")
    return f"{parser} on {'uvloop ' + version('uvloop') if event_loop() == 'uvloop' else 'asyncio'}"


def in_process_rate(bodies: list[bytes], seconds: float) -> tuple[float, float]:
    """Evaluations per second of exactly what a worker does for POST /v1/evaluations (parse the
    body, score through the service, write the canonical JSON), back to back in this process:
    (per second of wall time, per second of this thread's CPU time)."""
    from standards_kernel.interfaces.server.bodies import parse_json
    from standards_kernel.interfaces.server.service import ServerConfig, Service
    from standards_kernel.kernel.registry import default_registry

    svc = Service(default_registry(), ServerConfig())
    svc.score(parse_json(bodies[0]), standard=None, as_of=None)  # warm
    # Like a worker (workers.run_worker), freeze what is held so far for the collector: the two
    # sides then collect alike, and the ratio compares like with like.
    gc.freeze()
    try:
        done, started, cpu = 0, time.perf_counter(), time.thread_time()
        while time.perf_counter() - started < seconds:
            text = svc.score(parse_json(bodies[done % len(bodies)]), standard=None, as_of=None).text
            text.encode("utf-8")
            done += 1
        return done / (time.perf_counter() - started), done / (time.thread_time() - cpu)
    finally:
        gc.unfreeze()


# --- report ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated (default 1,2)")
    parser.add_argument("--clients", type=int, default=8, help="simultaneous connections")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--counties", type=int, default=8, help="distinct county bodies to rotate through")
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--batch", type=int, default=40, help="counties per batch request")
    parser.add_argument("--runs", type=int, default=40, help="in-process runs for the breakdown")
    parser.add_argument("--profile", action="store_true", help="print the top functions of an in-process profile")
    parser.add_argument("--write", metavar="FILE", help="also write the report (markdown) to FILE")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    bodies = counties(args.counties, args.schools)
    out: list[str] = []
    say = out.append
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    say(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average before the run {load_avg:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    say(f"HTTP layer of the workers: {http_layer()}")
    size_kb = statistics.mean(len(b) for b in bodies) / 1024
    say(f"county: {args.schools} schools under {STANDARD}, synth seed {SEED}, {args.counties} distinct bodies "
        f"(request ~{size_kb:.0f} KiB)")

    phases, profile_text = breakdown(bodies, args.runs, args.profile)
    total = sum(phases.values())
    say("")
    say(f"## Where the time of one evaluation goes (in-process, median of {args.runs})")
    say("")
    say("| phase | ms | share |")
    say("|---|---:|---:|")
    for name, ms in phases.items():
        say(f"| {name} | {ms:.2f} | {100 * ms / total:.0f}% |")
    say(f"| **total** | **{total:.2f}** | |")

    # The machine's load changes by the minute: the in-process rate is measured just before and
    # just after each server run, and the run is compared with the mean of the two.
    runs: dict[int, dict[str, Any]] = {}
    for workers in counts:
        before = in_process_rate(bodies, min(args.seconds, 8))
        server = Server(workers)
        try:
            idle = idle_health(server.port, "/v1/health", min(args.seconds, 8))
            runs[workers] = asyncio.run(load(server.port, args.clients, args.seconds, args.warmup, "POST",
                                             "/v1/evaluations", bodies, probe="/v1/health",
                                             pids=server.worker_pids()))
            runs[workers]["batch"] = asyncio.run(batch(server.port, bodies, args.batch, workers))
            runs[workers]["idle"] = idle
        finally:
            server.close()
        after = in_process_rate(bodies, min(args.seconds, 8))
        runs[workers]["in_process"] = (before[0] + after[0]) / 2
        runs[workers]["in_process_cpu"] = (before[1] + after[1]) / 2
    say("")
    say(f"## HTTP: {args.clients} simultaneous clients, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up, "
        "with one more client asking /v1/health every 20 ms")
    say("")
    say("In-process: the same work back to back in one thread (parse, score through the service, canonical "
        "JSON, UTF-8; what the process holds frozen for the collector, as a worker freezes it), measured just "
        "before and after each server run (mean of the two).")
    say("")
    say("| workers | req/s | in-process /s | per worker ÷ in-process | p50 ms | p99 ms | answered per worker | "
        "health p50 ms | health p99 ms | health max ms | batch counties/s |")
    say("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for workers, r in runs.items():
        spread = " / ".join(str(n) for n in sorted(r["workers"].values(), reverse=True))
        h, rate = r["probe"], r["in_process"]
        say(f"| {workers} | {r['rps']:.1f} | {rate:.1f} | {r['rps'] / workers / rate:.2f} | {r['p50_ms']:.0f} | "
            f"{r['p99_ms']:.0f} | "
            f"{spread} | {h['p50_ms']:.1f} | {h['p99_ms']:.1f} | {h['max_ms']:.1f} | {r['batch']['per_s']:.1f} |")
    say("")
    say("Per CPU second (independent of how much CPU the shared machine gave): evaluations per second of "
        "the workers' CPU time (every thread: HTTP, loop and evaluation) against evaluations per second of "
        "CPU time in-process; cores used = the workers' CPU time ÷ wall time. The workers' CPU time per "
        "request is split into the event loop's thread (HTTP, the app) and the evaluation thread, beside "
        "the CPU time of one evaluation in-process.")
    say("")
    say("| workers | HTTP evaluations per CPU-s | in-process per CPU-s | ratio | cores used | loop ms/request | "
        "evaluation thread ms/request | in-process ms/evaluation |")
    say("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workers, r in runs.items():
        per_cpu = r["requests"] / r["cpu_s"]
        loop_ms = 1000 * r["loop_cpu_s"] / r["requests"]
        say(f"| {workers} | {per_cpu:.1f} | {r['in_process_cpu']:.1f} | {per_cpu / r['in_process_cpu']:.2f} | "
            f"{r['cpu_s'] / args.seconds:.2f} | {loop_ms:.2f} | {1000 * r['cpu_s'] / r['requests'] - loop_ms:.2f} | "
            f"{1000 / r['in_process_cpu']:.2f} |")
    say("")
    say("/v1/health from its own process every 20 ms, idle server (nothing else asked) against saturated "
        "(the clients above keeping every worker busy), same machine, minutes apart:")
    say("")
    say("| workers | idle p50 ms | idle p99 ms | idle max ms | saturated p50 ms | saturated p99 ms | saturated max ms |")
    say("|---:|---:|---:|---:|---:|---:|---:|")
    for workers, r in runs.items():
        i, h = r["idle"], r["probe"]
        say(f"| {workers} | {i['p50_ms']:.1f} | {i['p99_ms']:.1f} | {i['max_ms']:.1f} | {h['p50_ms']:.1f} | "
            f"{h['p99_ms']:.1f} | {h['max_ms']:.1f} |")
    if 1 in runs and 2 in runs:
        say("")
        say(f"2 workers ÷ 1 worker: **{runs[2]['rps'] / runs[1]['rps']:.2f}×** (errors: "
            f"{sum(r['errors'] for r in runs.values())})")
    report = "\n".join(out) + "\n"
    print(report)
    if profile_text:
        print(profile_text)
    if args.write:
        Path(args.write).write_text(report, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
