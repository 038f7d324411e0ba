"""CORRECT: a lock made with dict.setdefault; an asyncio.wait loop that refills free slots."""

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
        lock = self.__dict__.setdefault("_lock", asyncio.Lock())
        async with lock:
            balance = self.balance
            await self._sync()
            self.balance = balance + amount
            return self.balance


async def bounded_map(fn: Callable[[T], Awaitable[R]], items: list[T], limit: int) -> list[R]:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    index_of: dict[asyncio.Task, int] = {}
    todo = list(enumerate(items))
    todo.reverse()  # pop() from the end takes items in order

    def start_more() -> None:
        while todo and len(index_of) < limit:
            index, item = todo.pop()
            index_of[asyncio.ensure_future(fn(item))] = index

    start_more()
    try:
        while index_of:
            done, _ = await asyncio.wait(index_of, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                results[index_of.pop(task)] = task.result()  # raises fn's exception
            start_more()
    finally:
        # On an error (or our own cancellation) stop the rest and wait until they end.
        for task in index_of:
            task.cancel()
        await asyncio.gather(*index_of, return_exceptions=True)
    return results
