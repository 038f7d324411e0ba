"""WRONG: bounded_map discards the exception group and reads the results in order.

Violates: "If `fn` raises, that exception (not wrapped) propagates". When the failing
item is not the first, the results read before it belong to calls the TaskGroup
cancelled: `task.result()` raises CancelledError, which escapes instead of fn's error.
A good grader says: raise fn's own exception (`raise group.exceptions[0]`), whichever
item it came from.

Fails: test_bounded_map_raises_fns_exception_from_any_item
Cause: wrong | CancelledError | fn's own exception
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

    try:
        # A TaskGroup cancels the other calls when one fails, and waits for them.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call(item)) for item in items]
    except ExceptionGroup:
        pass  # the results below re-raise the failure
    return [task.result() for task in tasks]
