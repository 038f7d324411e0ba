"""WRONG: bounded_map creates the Semaphore inside the per-item helper, so nothing is limited.

Violates: "with at most `limit` calls running at once". Each call acquires its own fresh
semaphore, so all items run at once: it finishes too fast and overloads whatever `fn`
talks to. A good grader says: the limit lives in one shared Semaphore(limit), created
once per bounded_map call, that every call acquires.
Fails: test_bounded_map_runs_limit_calls_at_once
Cause: timing | 10 calls of fn at once | the same `asyncio.Semaphore(limit)`
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

    async def call(item: T) -> R:
        async with asyncio.Semaphore(limit):  # the mistake: one semaphore per call
            return await fn(item)

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call(item)) for item in items]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
