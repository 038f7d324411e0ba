"""CORRECT: a loop timer that cancels the work's task, and retry with timeout_at and a doubling delay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(aw)
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = loop.call_later(timeout, expire)
    try:
        # Awaiting the task returns only once it has finished, cleanup included.
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        # Our timer cancelled the work, and nobody is cancelling us: that is the timeout.
        if expired and task.cancelled() and current is not None and not current.cancelling():
            return default
        raise
    finally:
        timer.cancel()


async def retry(op: Callable[[], Awaitable[T]], attempts: int, timeout: float, backoff: float) -> T:
    if attempts < 1:
        raise ValueError(f"attempts={attempts}: need at least 1")
    loop = asyncio.get_running_loop()
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout_at(loop.time() + timeout):
                return await op()
        except Exception:
            if attempt == attempts:
                raise
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")
