"""WRONG: once the work is done, the workers are cancelled but never awaited.

Violates: "When it returns, no worker task is left running". task.cancel() only asks a task
to stop: the CancelledError reaches each worker at its next step, after process_all has
returned, so the workers are still alive (and their cleanup still pending) when the caller
goes on.
A good grader says: after cancelling the workers, await them
(`await asyncio.gather(*workers, return_exceptions=True)`) before returning.
Fails: test_no_worker_left_running
Cause: leak | although they had been cancelled | await the cancelled workers
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
            try:
                results[index] = await handle(item)
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    joining = asyncio.ensure_future(queue.join())
    try:
        await asyncio.wait([joining, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done() and task.exception() is not None:
                for other in tasks:
                    other.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise task.exception()
    finally:
        joining.cancel()
        for task in tasks:
            task.cancel()  # the mistake: on success nobody awaits them
    return results
