"""WRONG: bounded_map lets the TaskGroup's ExceptionGroup escape.

Violates: "If `fn` raises, that exception (not wrapped) propagates". The caller's
`except KeyError:` never matches an ExceptionGroup([KeyError(...)]). A good grader says:
TaskGroup always wraps failures in an ExceptionGroup; catch it and re-raise the first of
its `.exceptions`.
Fails: test_bounded_map_raises_fns_exception_unwrapped
Cause: wrong | ExceptionGroup | TaskGroup
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

    # the mistake: no try/except ExceptionGroup around the group
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(call(item)) for item in items]
    return [task.result() for task in tasks]
