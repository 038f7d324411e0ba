"""WRONG: result_from_thread keeps its future in a module-level variable shared by every call.

Violates: "returns that value" (for each call). Two calls waiting at the same time share one
slot: the second call replaces the first one's future, so the first value resolves (or is
dropped on) the wrong future and the first call waits for ever.
A good grader says: keep the future in a local variable of the call and let the callback
close over it; module-level state is shared by every caller.
Fails: test_result_from_thread_calls_do_not_mix
Cause: hang | its own future | module-level
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_pending: dict[str, asyncio.Future[object]] = {}


def _deliver(value: object) -> None:
    future = _pending["future"]
    if not future.done():
        future.set_result(value)


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    loop = asyncio.get_running_loop()
    _pending["future"] = loop.create_future()  # the mistake: one slot for every call

    def callback(value: object) -> None:
        loop.call_soon_threadsafe(_deliver, value)

    start(callback)
    return await _pending["future"]


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
