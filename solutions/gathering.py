"""Reference solution: running coroutines concurrently, and collecting their outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    # asyncio.sleep suspends only this coroutine; the loop runs the others meanwhile.
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    # A TaskGroup starts every call at once and waits for all of them; if one failed,
    # it would cancel the rest, so nothing is left running behind our back.
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(slow_square(x, delay)) for x in xs]
    # Reading the tasks in the order they were created keeps the order of `xs`.
    return [task.result() for task in tasks]


async def _settle(factory: Callable[[], Awaitable[T]]) -> tuple[str, object]:
    # Turning a failure into a value here means gather never sees an exception,
    # so one failure cannot cut the others short.
    try:
        return ("ok", await factory())
    except Exception as exc:
        return ("error", exc)


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    # gather runs the wrappers concurrently and returns their results in argument order.
    return await asyncio.gather(*(_settle(factory) for factory in factories))
