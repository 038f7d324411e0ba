"""WRONG: gather_settled runs the raw awaitables in a TaskGroup, so one failure cancels the rest.

Violates: "One failure neither cancels nor delays the others" and "returns ... ("error", exc)".
A good grader says: a TaskGroup cancels its other tasks as soon as one fails and raises an
ExceptionGroup; catch each failure inside its own task (or gather with return_exceptions=True)
so that every awaitable gets to finish and reports its own outcome.
Fails: test_settled_results_in_order, test_settled_failure_cancels_nothing
Cause: wrong | TaskGroup | cancels
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(slow_square(x, delay)) for x in xs]
    return [task.result() for task in tasks]


async def _run(aw: Awaitable[T]) -> T:
    return await aw


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(_run(factory())) for factory in factories]
    outcomes: list[tuple[str, object]] = []
    for task in tasks:
        exc = task.exception()
        outcomes.append(("ok", task.result()) if exc is None else ("error", exc))
    return outcomes
