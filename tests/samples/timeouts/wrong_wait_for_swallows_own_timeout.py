"""WRONG: with_timeout catches every TimeoutError around wait_for, so the work's own TimeoutError becomes the default.

Violates: "Any exception `aw` raises before the deadline, its own `TimeoutError` included,
propagates unchanged: only the expiry of `timeout` gives `default`". A good grader says: a
TimeoutError raised by the work itself is an error to report, not a timeout of yours; tell the
two apart (asyncio.timeout(...) has .expired()) and re-raise the work's own.
Fails: test_the_works_own_exceptions_propagate
Cause: wrong | returned 'default' | the work's TimeoutError
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    try:
        return await asyncio.wait_for(aw, timeout)
    except TimeoutError:
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
