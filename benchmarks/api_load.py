"""Benchmark of the HTTP API: requests per second and latency under concurrent clients, batch
throughput, and where the time of one evaluation goes.

Run: python benchmarks/api_load.py [--workers 2] [--clients 8] [--seconds 20] [--counties 8]
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
import io
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
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

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
                      ) -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("ascii")
        self.writer.write(head + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"]))
        chunks = []
        while True:  # chunked transfer (the streamed batch)
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(chunks)
            chunks.append(chunk[:-2])

    def close(self) -> None:
        self.writer.close()


async def load(port: int, clients: int, seconds: float, warmup: float, method: str, path: str,
               bodies: list[bytes]) -> dict[str, Any]:
    latencies: list[float] = []
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
                status, _ = await connection.request(method, path, bodies[i % len(bodies)] if bodies else b"")
                done = time.perf_counter()
                i += 1
                if sent >= measure_from:
                    latencies.append(done - sent)
                    errors += status != 200
        finally:
            connection.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    latencies.sort()
    return {
        "requests": len(latencies), "errors": errors, "rps": len(latencies) / seconds,
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
            status, content = await connection.request("POST", "/v1/evaluations/batch", ndjson, "application/x-ndjson")
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


# --- where the time of one evaluation goes (in this process, no HTTP) --------------------------


def breakdown(bodies: list[bytes], runs: int, profile: bool) -> tuple[dict[str, float], str]:
    from standards_kernel.kernel.evaluate import evaluate
    from standards_kernel.kernel.formats import canonical_json
    from standards_kernel.kernel.registry import default_registry
    from standards_kernel.audit.decision import to_canonical
    from standards_kernel.interfaces.server.bodies import check_magnitudes, parse_json
    from standards_kernel.kernel.submission import submission_from_data

    standard = default_registry().get(STANDARD)
    phases: dict[str, list[float]] = {k: [] for k in ("parse JSON", "check + build submission", "evaluate",
                                                      "canonical result (incl. gaps, next grade)", "write JSON")}

    def once(body: bytes) -> None:
        t0 = time.perf_counter()
        data = parse_json(body)
        t1 = time.perf_counter()
        check_magnitudes(data)
        submission = submission_from_data(data, file="<bench>")
        t2 = time.perf_counter()
        evaluation = evaluate(submission, standard)
        t3 = time.perf_counter()
        result = to_canonical(evaluation)
        t4 = time.perf_counter()
        canonical_json(result)
        t5 = time.perf_counter()
        for key, spent in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
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


# --- report ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--counties", type=int, default=8, help="distinct county bodies to rotate through")
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--batch", type=int, default=40, help="counties per batch request")
    parser.add_argument("--runs", type=int, default=40, help="in-process runs for the breakdown")
    parser.add_argument("--profile", action="store_true", help="print the top functions of an in-process profile")
    parser.add_argument("--write", metavar="FILE", help="also write the report (markdown) to FILE")
    args = parser.parse_args()

    bodies = counties(args.counties, args.schools)
    out: list[str] = []
    say = out.append
    load_avg = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    say(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average before the run {load_avg[0]:.2f}" if isinstance(load_avg[0], float) else "")
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

    server = Server(args.workers)
    try:
        single = asyncio.run(load(server.port, args.clients, args.seconds, args.warmup, "POST", "/v1/evaluations", bodies))
        health = asyncio.run(load(server.port, args.clients, min(args.seconds, 10), 1, "GET", "/v1/health", []))
        batched = asyncio.run(batch(server.port, bodies, args.batch, args.workers))
    finally:
        server.close()
    say("")
    say(f"## HTTP, {args.workers} worker(s), {args.clients} concurrent clients, {args.seconds:.0f} s after "
        f"{args.warmup:.0f} s warm-up")
    say("")
    say("| endpoint | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in (("POST /v1/evaluations (100-school county)", single), ("GET /v1/health (framework floor)", health)):
        say(f"| {name} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.1f} |")
    say("")
    say(f"Batch: {args.workers} concurrent NDJSON batches of {args.batch} counties ({batched['body_mb']:.1f} MB "
        f"each): {batched['counties']} counties in {batched['seconds']:.2f} s = "
        f"**{batched['per_s']:.1f} counties/s**")
    report = "\n".join(out) + "\n"
    print(report)
    if profile_text:
        print(profile_text)
    if args.write:
        Path(args.write).write_text(report, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
