"""WRONG: result_from_thread polls a shared variable with short sleeps.

Violates: "with no polling". It works, but it wakes the loop 100 times a second for
nothing, adds up to 10 ms of latency, and reads a variable written by another thread
without any hand-over. A good grader says: do not poll: await a future that the thread
resolves through loop.call_soon_threadsafe; the loop then sleeps until the value is
there.
Fails: test_result_from_thread_does_not_poll
Cause: wrong | woke up | poll
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_NOTHING = object()


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    box = [_NOTHING]

    def callback(value: object) -> None:
        box[0] = value

    start(callback)
    while box[0] is _NOTHING:  # the mistake: a polling loop
        await asyncio.sleep(0.01)
    return box[0]


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
