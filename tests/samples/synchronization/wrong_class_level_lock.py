"""WRONG: one asyncio.Lock at class level, shared by every account.

Violates: "different accounts may live on different loops (a new loop per test)". An
asyncio.Lock binds to the loop that first waits on it; contended deposits on an account
of the next loop raise "RuntimeError: ... is bound to a different event loop". It also
serialises deposits on unrelated accounts. A good grader says: keep the lock on the
instance (one per account, created on first use), never at module or class level.
Fails: test_accounts_do_not_share_a_lock
Cause: wrong | different event loop | one lock per account
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Account:
    _lock = asyncio.Lock()  # the mistake: shared by all accounts, bound to the first loop

    def __init__(self, balance: int = 0) -> None:
        self.balance = balance

    async def _sync(self) -> None:
        """Stands for I/O (writing the balance to a database): it yields to the loop."""
        await asyncio.sleep(0)

    async def deposit(self, amount: int) -> int:
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")
        async with self._lock:
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
