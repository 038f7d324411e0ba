"""WRONG: process_all stops its workers after the work, but not when its caller cancels it.

Violates the convention "Cancelled by its caller": the cleanup follows the wait instead
of being in a `finally:`, so a cancellation skips it and the workers go on taking items
(and calling handle) after process_all's task has ended. A good grader says: cancel and
await the workers in a `finally:` (or use a TaskGroup).

Fails: test_cancelled_by_its_caller_waits_for_the_workers
Cause: leak | never cancelled | when your caller cancels you
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
    # Every item is queued before any worker starts, so an empty queue means "no more
    # work": workers simply return, with no sentinels, no join() and nobody left
    # blocked on get(). The index travels with the item to put its result in place.
    queue: asyncio.Queue[tuple[int, T]] = asyncio.Queue()
    for job in enumerate(items):
        queue.put_nowait(job)
    results: list[R] = [None] * len(items)  # type: ignore[list-item]

    async def worker() -> None:
        while not queue.empty():
            index, item = queue.get_nowait()
            results[index] = await handle(item)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    # the mistake: a cancellation of the wait above never gets here
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
    return results
