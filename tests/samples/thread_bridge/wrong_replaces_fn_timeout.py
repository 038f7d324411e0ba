"""WRONG: call_async_from_thread mistakes fn's own TimeoutError for the deadline.

Violates: "Exceptions of `fn`, its own `TimeoutError` included, propagate to the caller
unchanged". future.result(timeout) raises TimeoutError both when the time is up and when
fn itself raised TimeoutError; this replaces fn's exception with a new one and its
message. A good grader says: tell "not finished yet" from "finished with TimeoutError"
(check future.done(), or use concurrent.futures.wait) and re-raise fn's exception as it
is.
Fails: test_call_async_passes_fns_own_timeout_error
Cause: wrong | fn's own TimeoutError | unchanged
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
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        # the mistake: fn's own TimeoutError lands here too and is replaced
        future.cancel()
        raise TimeoutError(f"{fn!r} did not finish within {timeout} seconds") from None
