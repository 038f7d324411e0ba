"""WRONG: retry catches BaseException, so cancelling retry just starts the next attempt.

Violates: "A failure is an `Exception`; anything else (`CancelledError`, `KeyboardInterrupt`)
propagates at once". A good grader says: CancelledError is how asyncio stops a task; catching it
(except BaseException, or a bare except) makes retry ignore its caller's cancellation and keep
running; catch Exception only.
Fails: test_retry_lets_cancellation_through_at_once
Cause: wrong | instead of ending cancelled | never `BaseException`
"""

from __future__ import annotations

import asyncio
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
        except BaseException:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
