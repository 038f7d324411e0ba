"""WRONG: bounded_map gathers its calls and cleans them up when one fails, but not when its
caller cancels it.

Violates the convention "Cancelled by its caller": a cancelled gather() cancels its
calls but does not wait for them, so bounded_map's task ends while they are still
cleaning up. A good grader says: cancel and await the calls in a `finally:` (or use a
TaskGroup, which does both).

Fails: test_bounded_map_cancelled_by_its_caller_waits_for_the_calls
Cause: leak | still cleaning up | only asks
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
        # One lock per account, made on first use (__init__ is given). There is no await
        # between the check and the assignment, so two deposits cannot both make one.
        # Not a class-wide lock: it would serialise every account and, once used on one
        # loop, fail on the next ("is bound to a different event loop").
        lock = getattr(self, "_lock", None)
        if lock is None:
            lock = self._lock = asyncio.Lock()
        # Read, await, write: another deposit running during the await would read the
        # same old balance, and one of the two updates would be lost. Hold the lock.
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
        # Every task waits for a slot: `limit` run at once, and a finished call
        # hands its slot to the next waiter at once.
        async with semaphore:
            return await fn(item)

    tasks = [asyncio.create_task(call(item)) for item in items]
    try:
        return await asyncio.gather(*tasks)
    except Exception:  # the mistake: a CancelledError is not an Exception
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
