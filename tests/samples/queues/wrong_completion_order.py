"""WRONG: results are appended as the calls finish, so they come in completion order.

Violates: "returns the results in the order of `items`". With items that take different
times, a fast late item overtakes a slow early one. A good grader says: carry each
item's index through the queue and store its result at that index (results[index] =
...).
Fails: test_results_in_the_order_of_items
Cause: wrong | ['b', 'a', 'c', 'd'] | order of items
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def process_all(items: list[T], handle: Callable[[T], Awaitable[R]], workers: int) -> list[R]:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    queue: asyncio.Queue[T] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    results: list[R] = []

    async def worker() -> None:
        while not queue.empty():
            item = queue.get_nowait()
            results.append(await handle(item))  # the mistake: completion order

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return results
