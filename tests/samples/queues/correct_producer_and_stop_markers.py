"""CORRECT: a producer task feeding a bounded queue, one stop marker per worker, in a TaskGroup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STOP = object()  # one per worker: "no more items, return"


async def process_all(items: list[T], handle: Callable[[T], Awaitable[R]], workers: int) -> list[R]:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=workers)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def produce() -> None:
        for job in enumerate(items):
            await queue.put(job)  # waits while the queue is full
        for _ in range(workers):
            await queue.put(_STOP)

    async def worker() -> None:
        while (job := await queue.get()) is not _STOP:
            index, item = job  # type: ignore[misc]
            results[index] = await handle(item)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for _ in range(workers):
                group.create_task(worker())
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return results
