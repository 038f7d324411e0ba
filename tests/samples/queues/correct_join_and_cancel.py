"""CORRECT: task_done() and join() raced against the workers with asyncio.wait, then cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def process_all(items: list[T], handle: Callable[[T], Awaitable[R]], workers: int) -> list[R]:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    queue: asyncio.Queue[tuple[int, T]] = asyncio.Queue()
    for job in enumerate(items):
        queue.put_nowait(job)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def worker() -> None:
        while True:
            index, item = await queue.get()
            try:
                results[index] = await handle(item)
            finally:
                queue.task_done()  # also on failure, or join() would wait for ever

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    joining = asyncio.ensure_future(queue.join())
    try:
        # join() ends when every item is done; a worker ends only by failing.
        await asyncio.wait([joining, *tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [joining, *tasks]:
            task.cancel()
        await asyncio.gather(joining, *tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
    return results
