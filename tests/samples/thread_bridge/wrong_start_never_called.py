"""WRONG: result_from_thread makes its future and callback, but never calls start(callback).

Violates: "Call ``start(callback)`` once." Nothing ever hands the callback to the thread, so
no value is ever delivered and every call waits for ever. A good grader says it once: start
was called 0 times (not that calls share state, nor that the loop was not woken); every
other test of result_from_thread fails of that same cause and says so.

Fails: test_result_from_thread_returns_the_value, test_result_from_thread_calls_do_not_mix
Cause: wrong | called start(callback) 0 times | expected exactly once
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
        # Runs on the loop's thread. The future may be cancelled already (our caller
        # gave up), and setting a cancelled future would raise InvalidStateError.
        if not future.done():
            future.set_result(value)

    def callback(value: object) -> None:
        # Runs on the foreign thread. asyncio objects are not thread-safe, and only
        # call_soon_threadsafe also wakes a loop that sleeps in select().
        loop.call_soon_threadsafe(deliver, value)

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
