"""CORRECT: gather for the squares, a TaskGroup of never-failing wrappers for the outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    await asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    return list(await asyncio.gather(*[slow_square(x, delay) for x in xs]))


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    async def settle(factory: Callable[[], Awaitable[T]]) -> tuple[str, object]:
        try:
            return ("ok", await factory())
        except Exception as exc:
            return ("error", exc)

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(settle(factory)) for factory in factories]
    return [task.result() for task in tasks]
