"""WRONG: result_from_thread waits with a blocking queue.Queue.get() on the loop's thread.

Violates: "with no polling and no blocking of the loop". The hand-over is thread-safe,
but the whole event loop is frozen until the thread delivers: no other task runs
meanwhile. A good grader says: a coroutine must never wait on a thread primitive
(queue.Queue.get, threading.Event.wait, Lock.acquire); await an asyncio future fed by
call_soon_threadsafe.
Fails: test_result_from_thread_keeps_the_loop_free, test_result_from_thread_returns_the_value
Cause: blocking | handover.get() | queue
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    handover: queue.Queue[object] = queue.Queue()
    start(handover.put)
    return handover.get()  # the mistake: blocks the loop's thread until the value comes


def call_async_from_thread(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[T]],
    *args: object,
    timeout: float,
) -> T:
    future = asyncio.run_coroutine_threadsafe(fn(*args), loop)
    done, _ = concurrent.futures.wait([future], timeout=timeout)
    if not done and future.cancel():
        raise TimeoutError(f"{fn!r} did not finish within {timeout} seconds")
    return future.result()
