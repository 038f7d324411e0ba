"""Reference solution: a fixed pool of worker tasks serving an asyncio.Queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def process_all(items: list[T], handle: Callable[[T], Awaitable[R]], workers: int) -> list[R]:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    # Every item is queued before any worker starts, so an empty queue means "no more
    # work": workers simply return, with no sentinels, no join() and nobody left
    # blocked on get(). The index travels with the item to put its result in place.
    queue: asyncio.Queue[tuple[int, T]] = asyncio.Queue()
    for job in enumerate(items):
        queue.put_nowait(job)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def worker() -> None:
        # empty() and get_nowait() with no await in between: no other worker can
        # take the item in the meantime.
        while not queue.empty():
            index, item = queue.get_nowait()
            results[index] = await handle(item)

    try:
        # The TaskGroup waits for every worker and, when one fails, cancels the others
        # and waits for them too, so no worker outlives this call.
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except ExceptionGroup as failures:
        # The contract wants handle's own exception, not the group around it.
        raise failures.exceptions[0] from None
    return results
