"""WRONG: gather_settled awaits each awaitable in turn inside its try/except.

Violates: "runs the awaitables concurrently ... It takes as long as the slowest one".
A good grader says: the outcomes are right but the total time is the sum of all the delays;
wrap each await in its own coroutine and run those wrappers concurrently with gather.
Fails: test_settled_failure_cancels_nothing
Cause: timing | took 3.5 s | one after another
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
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    outcomes: list[tuple[str, object]] = []
    for factory in factories:
        try:
            outcomes.append(("ok", await factory()))
        except Exception as exc:
            outcomes.append(("error", exc))
    return outcomes
