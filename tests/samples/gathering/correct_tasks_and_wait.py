"""CORRECT: hand-rolled: create_task for each call, asyncio.wait for all, then read each task."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    # A timer that resolves a future is all asyncio.sleep does.
    handle = loop.call_later(delay, done.set_result, None)
    try:
        await done
    finally:
        handle.cancel()
    return x * x


async def _cancel_and_wait(tasks: list[asyncio.Future]) -> None:
    # Only reached with unfinished tasks on failure or cancellation: stop them and let
    # them finish, so that nothing outlives the call.
    for task in tasks:
        task.cancel()
    pending = [task for task in tasks if not task.done()]
    if pending:
        await asyncio.wait(pending)


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    tasks = [asyncio.create_task(slow_square(x, delay)) for x in xs]
    try:
        # Awaiting them in order is fine: they all started before the first await.
        return [await task for task in tasks]
    finally:
        await _cancel_and_wait(tasks)


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    tasks = [asyncio.ensure_future(factory()) for factory in factories]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks)
    finally:
        await _cancel_and_wait(tasks)
    outcomes: list[tuple[str, object]] = []
    for task in tasks:
        exc = task.exception()
        outcomes.append(("ok", task.result()) if exc is None else ("error", exc))
    return outcomes
