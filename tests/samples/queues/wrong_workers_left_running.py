"""WRONG: after join() the workers are never cancelled; they stay blocked on queue.get().

Violates: "When it returns, no worker task is left running". Each call leaks `workers`
tasks waiting for ever on an empty queue (and the loop warns "Task was destroyed but it
is pending!" when it closes). A good grader says: a worker loop `while True: await
queue.get()` never ends on its own: cancel the workers (and await them) once the work is
done, or send them stop markers.
Fails: test_no_worker_left_running
Cause: leak | still running | cancel them
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
    await asyncio.wait([joining, *tasks], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task.done() and task.exception() is not None:
            joining.cancel()
            for other in tasks:
                other.cancel()
            await asyncio.gather(joining, *tasks, return_exceptions=True)
            raise task.exception()
    # the mistake: on success the workers are left waiting on queue.get()
    return results
