"""CORRECT: a thread-safe concurrent.futures.Future wrapped for the loop, and a guarded result()."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    # A concurrent.futures.Future may be set from any thread; wrap_future() chains it to
    # an asyncio future through call_soon_threadsafe, so the loop is woken up.
    handover: concurrent.futures.Future[object] = concurrent.futures.Future()

    def callback(value: object) -> None:
        if handover.set_running_or_notify_cancel():
            handover.set_result(value)

    start(callback)
    return await asyncio.wrap_future(handover)


def call_async_from_thread(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[T]],
    *args: object,
    timeout: float,
) -> T:
    future = asyncio.run_coroutine_threadsafe(fn(*args), loop)
    try:
        return future.result(timeout)
    except TimeoutError:
        if future.done():
            raise  # fn's own TimeoutError: it finished, so it is not ours
        future.cancel()
        raise
