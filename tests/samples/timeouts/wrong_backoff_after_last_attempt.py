"""WRONG: retry also waits out a backoff after the last failed attempt.

Violates: "After failed attempt number `i` ..., and only if another attempt follows, it waits
`backoff * 2 ** i` seconds". A good grader says: the final exception reaches the caller a whole
(and the longest) backoff too late; nobody is going to retry, so raise at once.
Fails: test_retry_gives_up_with_the_last_exception
Cause: timing | raised at 7 s | without a backoff
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
    last_error: Exception | None = None
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(timeout):
                return await op()
        except Exception as exc:
            last_error = exc
        await asyncio.sleep(backoff * 2**attempt)
    assert last_error is not None
    raise last_error
