"""Evaluations off the event loop: one evaluation thread per worker process.

Scoring is CPU-bound Decimal work that holds the GIL, so it cannot run in parallel inside one
process whatever the pool: parallelism comes from the worker processes (:mod:`.workers`, one
per core). The thread's job is only to keep the event loop free, so that ``/v1/health``, reading
bodies and sending results go on while a county is scored. While the thread computes, the loop
gets the GIL back within the interpreter's switch interval whenever it has work; the interval is
lowered from 5 ms to 1 ms when the thread is made (measured under load: health p50 4-6 ms
against 8-12 ms), which costs the evaluation little, since a switch happens only when the loop
has work. One thread rather than several: more would only interleave evaluations (each
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
SWITCH_INTERVAL_S = 0.001
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
