"""WRONG: the workers are awaited one after the other, so only one runs at a time.

Violates: "`workers` calls at once while items wait". `await worker()` runs the first
worker to completion (it drains the whole queue) before the next one even starts: the
work is sequential and takes the sum of all the calls. A good grader says: awaiting a
coroutine runs it now, in this task; to run workers side by side, create tasks for them
(a TaskGroup) and only then wait.
Fails: test_workers_calls_at_once, test_a_free_worker_takes_the_next_item_at_once
Cause: timing | at most 1 | not awaited one after the other
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
    queue: asyncio.Queue[tuple[int, T]] = asyncio.Queue()
    for job in enumerate(items):
        queue.put_nowait(job)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def worker() -> None:
        while not queue.empty():
            index, item = queue.get_nowait()
            results[index] = await handle(item)

    for _ in range(workers):
        await worker()  # the mistake: one worker after the other
    return results
