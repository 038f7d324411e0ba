"""WRONG: the thread's callback schedules the hand-over with loop.call_soon, not call_soon_threadsafe.

Violates: "The hand-over is thread-safe". call_soon is not thread-safe, and from another
thread it does not wake the loop: the loop sleeps on in select() and runs the hand-over
only when something else wakes it (here, a timer, 1.5 s late). A good grader says: the
value arrived only when a timer woke the loop; only loop.call_soon_threadsafe crosses from
a thread into the loop and wakes it (not "calls do not mix", not "never returned").

Fails: test_result_from_thread_wakes_the_loop
Cause: wrong | only arrived | call_soon_threadsafe
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
        # Runs on the foreign thread: schedule the hand-over on the loop.
        loop.call_soon(deliver, value)

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
