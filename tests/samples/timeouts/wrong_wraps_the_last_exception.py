"""WRONG: when every attempt fails, retry raises a new RuntimeError ("from" the last failure).

Violates: "When every attempt fails it raises the last attempt's exception" (and a timed-out last
attempt must surface as its TimeoutError). A good grader says: the caller expects the
operation's own error, unchanged, so that `except ValueError` (or TimeoutError) keeps working;
re-raise the last exception itself instead of wrapping it.
Fails: test_retry_gives_up_with_the_last_exception, test_retry_gives_each_attempt_its_own_timeout
Cause: wrong | RuntimeError | the last attempt's exception is that TimeoutError
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
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return await asyncio.wait_for(op(), timeout)
        except Exception as exc:
            last = exc
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
    raise RuntimeError(f"all {attempts} attempts failed") from last
