"""WRONG: deposit creates a new asyncio.Lock on every call.

Violates: "Any number of concurrent deposits on one account lose nothing". Each deposit
holds its own private lock, so nothing is exclusive: two deposits read the same balance
across `await self._sync()` and one update is lost. A good grader says: a lock protects
only if every contender uses the *same* lock object: keep one per account (made once, on
first use).
Fails: test_concurrent_deposits_lose_nothing
Cause: wrong | balance of 11 | one `asyncio.Lock` per account
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
        async with asyncio.Lock():  # the mistake: a fresh lock nobody else sees
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

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call(item)) for item in items]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
