"""WRONG: result_from_thread waits for the thread by taking a threading.Lock on the loop's thread.

Violates: "with no polling and no blocking of the loop". `with lock:` blocks the loop's thread
until the other thread releases the lock: no other task, callback or I/O runs meanwhile.
A good grader says: a coroutine must never wait on a thread primitive (a Lock, an Event, a
queue.Queue): await an asyncio future that the thread resolves through
loop.call_soon_threadsafe.
Fails: test_result_from_thread_keeps_the_loop_free
Cause: blocking | with arrived | thread lock
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    arrived = threading.Lock()
    arrived.acquire()  # free, so this returns at once
    box: list[object] = []

    def callback(value: object) -> None:
        box.append(value)
        arrived.release()

    start(callback)
    with arrived:  # the mistake: the loop's thread sleeps here until the callback runs
        pass
    return box[0]


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
