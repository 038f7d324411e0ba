"""WRONG: retry waits between attempts with time.sleep, blocking the event loop.

Violates: "Without blocking the loop" (convention for every coroutine). A good grader says: the
whole loop stops during the backoff, every other task with it; `await asyncio.sleep(...)` waits
without blocking.
Fails: test_retry_backs_off_exponentially, test_retry_gives_each_attempt_its_own_timeout, test_retry_gives_up_with_the_last_exception, test_retry_lets_cancellation_through_at_once
Cause: blocking | time.sleep | retry
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            return await aw
    except TimeoutError:
        if deadline.expired():
            return default
        raise


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
        time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
