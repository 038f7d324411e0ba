"""WRONG: call_async_from_thread runs fn with asyncio.run() in the calling thread, not on `loop`.

Violates: "runs `fn(*args)` on `loop`" (and the `timeout`). The coroutine runs on a
brand-new loop: anything bound to `loop` (its futures, locks, streams, tasks) fails or
deadlocks there, and nothing limits how long the call blocks. A good grader says: to use
a loop that runs in another thread, submit the coroutine to it with
asyncio.run_coroutine_threadsafe(coro, loop) and wait on the returned future with a
timeout.
Fails: test_call_async_runs_fn_on_the_loop, test_call_async_times_out
Cause: wrong | another event loop | run_coroutine_threadsafe
"""

from __future__ import annotations

import asyncio
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
    return asyncio.run(fn(*args))  # the mistake: a new loop, and no timeout
