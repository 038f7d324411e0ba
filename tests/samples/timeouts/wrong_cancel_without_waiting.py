"""WRONG: with_timeout cancels the work at the deadline but returns before it has finished.

Violates: "the work behind `aw` is cancelled and has finished (it has seen `CancelledError`)
before `with_timeout` returns". A good grader says: task.cancel() only *requests* cancellation;
the task sees CancelledError on its next turn, after you have already returned; await it (or
asyncio.wait for it) so its cleanup has run before you go on.
Fails: test_timed_out_work_has_finished_before_return
Cause: leak | not seen CancelledError yet | task.cancel() only asks
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    task = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task in done:
        return task.result()
    task.cancel()
    return default


async def retry(op: Callable[[], Awaitable[T]], attempts: int, timeout: float, backoff: float) -> T:
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts!r}")
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(timeout):
                return await op()
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
