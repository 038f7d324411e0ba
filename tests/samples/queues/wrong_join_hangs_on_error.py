"""WRONG: workers call task_done() only after a success, and process_all waits on queue.join().

Violates: "If `handle` raises for an item, ... that same exception ... propagates; it
never hangs". The failing worker dies without marking its item done, so join() waits for
ever, and the exception sits unseen in a task nobody awaits. A good grader says: join()
only counts task_done() calls; call it in a `finally`, and watch the workers too
(asyncio.wait with FIRST_COMPLETED, or a TaskGroup) so a failure is seen.
Fails: test_a_failure_propagates_unwrapped, test_a_failure_cancels_the_other_calls
Cause: hang | task_done() | queue.join()
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
        while True:
            index, item = await queue.get()
            results[index] = await handle(item)
            queue.task_done()  # the mistake: skipped when handle raises

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    await queue.join()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results
