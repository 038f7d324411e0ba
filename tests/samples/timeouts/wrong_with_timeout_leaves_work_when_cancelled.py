"""WRONG: with_timeout runs `aw` as a task and cleans it up on timeout, but not when its
caller cancels it.

Violates the convention "Cancelled by its caller": a cancellation of the wait skips the
cleanup, and the task keeps running after with_timeout's task has ended. A good grader
says: cancel and await the task in a `finally:`.

Fails: test_with_timeout_cancelled_by_its_caller_waits_for_the_work
Cause: leak | never saw CancelledError | caller cancels
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


# The contract fixes the `timeout` parameters (ruff would rather see asyncio.timeout).
async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    task = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task in done:
        return task.result()
    task.cancel()
    await asyncio.wait({task})
    return default


async def retry(
    op: Callable[[], Awaitable[T]],
    attempts: int,
    timeout: float,
    backoff: float,
) -> T:
    if attempts < 1:
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
