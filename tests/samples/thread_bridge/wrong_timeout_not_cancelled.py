"""WRONG: on timeout, call_async_from_thread raises TimeoutError but leaves the coroutine running.

Violates: "On timeout it has the coroutine cancelled on the loop". The abandoned task
keeps running (and using resources) on the loop after the caller has given up.
A good grader says: future.result(timeout) only stops *waiting*; call future.cancel() on
the concurrent future so that run_coroutine_threadsafe cancels the task on the loop.
Fails: test_call_async_timeout_cancels_fn
Cause: wrong | never saw CancelledError | future.cancel()
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

    def deliver(value: object) -> None:
        if not future.done():
            future.set_result(value)

    def callback(value: object) -> None:
        loop.call_soon_threadsafe(deliver, value)

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
    if not done:
        # the mistake: no future.cancel(), the coroutine runs on
        raise TimeoutError(f"{fn!r} did not finish within {timeout} seconds")
    return future.result()
