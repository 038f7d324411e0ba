"""WRONG: with_timeout stops waiting at the deadline but never cancels the work.

Violates: "On timeout, the work behind `aw` is cancelled and has finished ... before
`with_timeout` returns" (and: no exercise may leave tasks running). A good grader says:
asyncio.wait(..., timeout=...) only stops *waiting*; the task runs on in the background and
finishes whenever it likes: cancel it, and wait until it has finished.
Fails: test_timed_out_work_has_finished_before_return, test_with_timeout_leaves_nothing_behind
Cause: leak | never cancelled | cancel the work when time runs out
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:
    task = asyncio.ensure_future(aw)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task in done:
        return task.result()
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
