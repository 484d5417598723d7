"""Evaluations off the event loop: one evaluation thread per worker process.

Scoring is CPU-bound Decimal work that holds the GIL, so it cannot run in parallel inside one
process whatever the pool: parallelism comes from the worker processes (:mod:`.workers`, one
per core). The thread's job is only to keep the event loop free, so that ``/v1/health``, reading
bodies and sending results go on while a county is scored. While the thread computes, the loop
gets the GIL back within the interpreter's switch interval whenever it has work. The interval
is set when the thread is made to 5 ms, the interpreter's default, which it had been lowered from
to 1 ms while the loop's own work was large: now that it is small (httptools, uvloop, the fast
path), a longer wait lets the loop take a request's bytes in fewer wake-ups, each of which costs
the evaluation a switch. Measured A/B at 07:30 on 2026-12-01, one worker saturated by 8 clients,
1 ms against 5 ms: loop CPU 0.52 against 0.35 ms a request, evaluations per worker CPU-second
0.85× against 0.89× of the same work in-process, health p50 1.5 against 6 ms and p99 2.8 against
26-32 ms (#13's bound: 50 ms); 10 ms measured no better than 5, 2.5 ms in between. One thread rather than several: more would only interleave evaluations (each
finishing later) for no more throughput. A process pool would keep the GIL out of the loop's
way, but it would double the memory of every worker (each loads every standard), copy each body
and result through a pipe, and give no more throughput on cores that are already busy.

Requests queue for the thread in arrival order.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")
THREADS = 1
SWITCH_INTERVAL_S = 0.005
_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """This process's evaluation thread (made on first use, so that each worker has its own)."""
    global _executor
    with _lock:
        if _executor is None:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            _executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="standards-kernel-evaluate")
        return _executor


async def off_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in the evaluation thread; the loop goes on meanwhile."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor(), functools.partial(function, *args, **kwargs))


__all__ = ["THREADS", "executor", "off_loop"]
