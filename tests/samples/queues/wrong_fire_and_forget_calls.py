"""WRONG: each worker starts handle(item) as a new task and moves on without awaiting it.

Violates: "`workers` calls at once while items wait" (and "`handle` runs in at most
`workers` tasks"). The workers hand everything out at once, so all the calls run
together: it finishes too fast and overloads whatever `handle` talks to.
A good grader says: a worker must `await handle(item)` before taking the next item; that
await is what bounds the concurrency to the number of workers.
Fails: test_workers_calls_at_once, test_handle_runs_in_the_worker_tasks
Cause: timing | 10 calls of handle at once | `await handle(item)` before it takes the next item
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
    calls: list[asyncio.Future[R]] = [None] * len(items)  # type: ignore[list-item]

    async def worker() -> None:
        while not queue.empty():
            index, item = queue.get_nowait()
            calls[index] = asyncio.ensure_future(handle(item))  # the mistake: not awaited

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    try:
        return list(await asyncio.gather(*calls))
    except BaseException:
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        raise
