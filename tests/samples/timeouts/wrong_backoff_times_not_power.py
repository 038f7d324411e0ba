"""WRONG: retry waits backoff * 2 * i instead of backoff * 2 ** i, so the first backoff is 0.

Violates: "After failed attempt number `i` (counting from 0) ... it waits `backoff * 2 ** i`
seconds". A good grader says: the second attempt starts at once (too fast) and the waits grow
linearly (0, 2b, 4b, 6b...) instead of doubling (b, 2b, 4b, 8b...): `*` is not `**`.
Fails: test_retry_backs_off_exponentially
Cause: timing | [0.0, 0.0, 1.0, 3.0] | backoff * 2 ** i
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
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2 * attempt)
    raise AssertionError("unreachable")
