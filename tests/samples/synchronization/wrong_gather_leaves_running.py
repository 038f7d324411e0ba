"""WRONG: bounded_map uses a Semaphore with asyncio.gather, which does not cancel on failure.

Violates: "that exception propagates after the calls still running have been cancelled
and have finished". gather() raises the first exception at once and leaves the other
calls running in the background (and the items still queued on the semaphore start
later). A good grader says: use asyncio.TaskGroup (then unwrap the ExceptionGroup), or
cancel and await the remaining tasks yourself before re-raising.
Fails: test_bounded_map_failure_cancels_the_other_calls
Cause: leak | still running | cancel the other calls
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Account:
    def __init__(self, balance: int = 0) -> None:
        self.balance = balance

    async def _sync(self) -> None:
        """Stands for I/O (writing the balance to a database): it yields to the loop."""
        await asyncio.sleep(0)

    async def deposit(self, amount: int) -> int:
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")
        lock = getattr(self, "_lock", None)
        if lock is None:
            lock = self._lock = asyncio.Lock()
        async with lock:
            balance = self.balance
            await self._sync()
            self.balance = balance + amount
            return self.balance


async def bounded_map(fn: Callable[[T], Awaitable[R]], items: list[T], limit: int) -> list[R]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    semaphore = asyncio.Semaphore(limit)

    async def call(item: T) -> R:
        async with semaphore:
            return await fn(item)

    # the mistake: on failure, gather leaves the other calls running
    return await asyncio.gather(*(call(item) for item in items))
