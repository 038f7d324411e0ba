"""WRONG: retry puts one timeout around all the attempts instead of one per attempt.

Violates: "Each attempt gets at most `timeout` seconds". A good grader says: the backoffs and
earlier attempts eat into later ones, so a late attempt is cut short (or never starts) and
retry gives up with TimeoutError too early; open a fresh asyncio.timeout for every attempt.
Fails: test_retry_gives_each_attempt_its_own_timeout
Cause: wrong | TimeoutError | not one around them all
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
    async with asyncio.timeout(timeout):
        for attempt in range(attempts):
            try:
                return await op()
            except Exception:
                if attempt == attempts - 1:
                    raise
            await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
