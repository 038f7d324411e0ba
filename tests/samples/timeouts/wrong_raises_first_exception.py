"""WRONG: when every attempt fails, retry raises the FIRST attempt's exception.

Violates: "When every attempt fails it raises the last attempt's exception".
A good grader says: the last error is the freshest news about the operation (the first may be
stale); keep the latest exception, or simply let the last attempt's exception propagate.
Fails: test_retry_gives_up_with_the_last_exception
Cause: wrong | the exception of attempt 0 | last attempt's
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
    first_error: Exception | None = None
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(timeout):
                return await op()
        except Exception as exc:
            if first_error is None:
                first_error = exc
            if attempt == attempts - 1:
                raise first_error from None
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
