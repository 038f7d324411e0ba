"""WRONG: retry refuses attempts=1 (off by one in the check).

Violates: "`attempts < 1` raises `ValueError`": one attempt is valid (no retry, no
backoff). A good grader says: only attempts below 1 are refused.

Fails: test_retry_with_one_attempt
Cause: wrong | attempts=1 | only attempts < 1 is refused
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


# The contract fixes the `timeout` parameters (ruff would rather see asyncio.timeout).
async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    deadline = asyncio.timeout(timeout)
    try:
        # On expiry asyncio.timeout cancels the await: the work sees CancelledError and
        # finishes its cleanup before the TimeoutError reaches us.
        async with deadline:
            return await aw
    except TimeoutError:
        # aw may raise a TimeoutError of its own; only our deadline means "use the default".
        if deadline.expired():
            return default
        raise


async def retry(
    op: Callable[[], Awaitable[T]],
    attempts: int,
    timeout: float,
    backoff: float,
) -> T:
    if attempts <= 1:
        raise ValueError(f"attempts must be at least 1, got {attempts!r}")
    for attempt in range(attempts - 1):
        try:
            async with asyncio.timeout(timeout):
                return await op()
        except Exception:
            # A failure, a timeout included. CancelledError and KeyboardInterrupt are
            # BaseExceptions: they are not caught, so they stop the retries at once.
            pass
        await asyncio.sleep(backoff * 2**attempt)
    # The last attempt has no `except`: its exception is the one the caller sees.
    async with asyncio.timeout(timeout):
        return await op()
