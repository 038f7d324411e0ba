"""Reference solution: handing values between the event loop and other threads."""

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
        # Runs on the loop's thread. The future may be cancelled already (our caller
        # gave up), and setting a cancelled future would raise InvalidStateError.
        if not future.done():
            future.set_result(value)

    def callback(value: object) -> None:
        # Runs on the foreign thread. asyncio objects are not thread-safe, and only
        # call_soon_threadsafe also wakes a loop that sleeps in select().
        loop.call_soon_threadsafe(deliver, value)

    start(callback)
    # Awaiting a future parks this coroutine without polling: the loop is free meanwhile.
    return await future


def call_async_from_thread(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[T]],
    *args: object,
    timeout: float,
) -> T:
    # The coroutine object is created here but runs only on `loop`, as a task.
    future = asyncio.run_coroutine_threadsafe(fn(*args), loop)
    # wait() tells "not finished yet" apart from "finished with fn's own TimeoutError",
    # which future.result(timeout) would raise the same way.
    done, _ = concurrent.futures.wait([future], timeout=timeout)
    # cancel() fails only if the coroutine finished in the meantime: then use its outcome.
    # Otherwise it makes the loop cancel the task, through call_soon_threadsafe.
    if not done and future.cancel():
        raise TimeoutError(f"{fn!r} did not finish within {timeout} seconds")
    return future.result()
