"""CORRECT: an asyncio.Event set on the loop, and a task created there by a threadsafe callback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    loop = asyncio.get_running_loop()
    arrived = asyncio.Event()
    box: list[object] = []

    def on_loop(value: object) -> None:
        box.append(value)
        arrived.set()

    def callback(value: object) -> None:
        loop.call_soon_threadsafe(on_loop, value)

    start(callback)
    await arrived.wait()
    return box[0]


def call_async_from_thread(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[T]],
    *args: object,
    timeout: float,
) -> T:
    finished = threading.Event()
    tasks: list[asyncio.Task] = []

    def create() -> None:
        # Runs on the loop's thread, where creating a task is allowed.
        task = loop.create_task(fn(*args))
        task.add_done_callback(lambda _: finished.set())
        tasks.append(task)

    loop.call_soon_threadsafe(create)
    if not finished.wait(timeout):
        # The task may not exist yet; scheduling the cancel after create() is safe
        # because the loop runs callbacks in order.
        loop.call_soon_threadsafe(lambda: tasks[0].cancel())
        raise TimeoutError(f"no result within {timeout} seconds")
    # The task is done, so reading it from this thread is safe.
    return tasks[0].result()
