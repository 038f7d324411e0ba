"""WRONG: the TaskGroup's ExceptionGroup escapes instead of handle's own exception.

Violates: "that same exception (not an `ExceptionGroup`) propagates". A caller's `except
LookupError:` never matches ExceptionGroup([LookupError(...)]). A good grader says: a
TaskGroup always wraps failures; catch the ExceptionGroup and re-raise its first
exception.
Fails: test_a_failure_propagates_unwrapped
Cause: wrong | ExceptionGroup | TaskGroup
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

    # the mistake: no try/except ExceptionGroup around the group
    async with asyncio.TaskGroup() as group:
        for _ in range(workers):
            group.create_task(worker())
    return results
