"""CORRECT: a task watched with asyncio.wait(timeout=...), cancelled and awaited; retry with wait_for."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    finally:
        if not task.done():
            task.cancel()
            # wait() never raises: it only lets the task run its cleanup to the end.
            await asyncio.wait({task})
    if task in done:
        return task.result()
    return default


async def retry(op: Callable[[], Awaitable[T]], attempts: int, timeout: float, backoff: float) -> T:
    if attempts < 1:
        raise ValueError("retry needs at least one attempt")
    delays = [backoff * 2**i for i in range(attempts - 1)]
    while True:
        try:
            return await asyncio.wait_for(op(), timeout)
        except Exception:
            if not delays:
                raise
        await asyncio.sleep(delays.pop(0))
