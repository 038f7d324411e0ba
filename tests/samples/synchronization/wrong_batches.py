"""WRONG: bounded_map runs the items in batches of `limit` with gather.

Violates: "while there is work, as many as that". Each batch waits for its slowest call
before the next batch starts, so free slots sit idle: one slow item delays everything.
A good grader says: start the next item as soon as any call finishes: a Semaphore(limit)
over all items, or `limit` workers pulling from a shared queue or iterator.
Fails: test_bounded_map_fills_a_free_slot_at_once
Cause: timing | took 5 s | no batches
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
    results: list[R] = []
    for start in range(0, len(items), limit):
        batch = items[start : start + limit]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fn(item)) for item in batch]
        except ExceptionGroup as failures:
            raise failures.exceptions[0] from None
        # the mistake: the next batch waits for the slowest call of this one
        results.extend(task.result() for task in tasks)
    return results
