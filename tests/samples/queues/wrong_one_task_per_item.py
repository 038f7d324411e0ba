"""WRONG: one task per item, limited by a Semaphore, instead of `workers` worker tasks.

Violates: "`handle` runs in at most `workers` tasks". The timing is right, but it
creates as many tasks as items (100 000 items, 100 000 tasks), which is what a worker
pool avoids. A good grader says: start exactly `workers` long-lived tasks that each take
item after item from the queue; a Semaphore bounds concurrency but not the number of
tasks.
Fails: test_handle_runs_in_the_worker_tasks
Cause: wrong | 10 different tasks | not one task per item
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
    semaphore = asyncio.Semaphore(workers)

    async def call(item: T) -> R:
        async with semaphore:
            return await handle(item)

    try:
        async with asyncio.TaskGroup() as group:
            # the mistake: a task for every item
            tasks = [group.create_task(call(item)) for item in items]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
