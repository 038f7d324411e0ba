"""WRONG: the thread's callback calls fut.set_result() directly, from the foreign thread.

Violates: "The hand-over is thread-safe". asyncio futures are not thread-safe:
set_result from a foreign thread queues the waiter's wake-up without waking the loop, so
the value arrives only when something else happens to wake the loop (here: never, or at
the next timer). A good grader says: only loop.call_soon_threadsafe (or
run_coroutine_threadsafe / wrap_future) may cross from a thread into the loop; it also
wakes the loop up.
Fails: test_result_from_thread_wakes_the_loop
Cause: wrong | does not wake the loop | call_soon_threadsafe
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[object] = loop.create_future()

    def callback(value: object) -> None:
        future.set_result(value)  # the mistake: called on the foreign thread

    start(callback)
    return await future


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
