"""WRONG: slow_square calls asyncio.sleep(delay) without await, so it does not wait at all.

Violates: "waits `delay` seconds ... then returns `x * x`". A good grader says: the results
arrive at once (too fast) and Python warns "coroutine 'sleep' was never awaited"; a coroutine
call does nothing until it is awaited.
Fails: test_slow_square_waits_the_delay, test_slow_square_does_not_block
Cause: timing | took 0 s | never awaited | created at gathering.py:20 in slow_square
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    asyncio.sleep(delay)
    return x * x


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    async def settle(factory: Callable[[], Awaitable[T]]) -> tuple[str, object]:
        try:
            return ("ok", await factory())
        except Exception as exc:
            return ("error", exc)

    return list(await asyncio.gather(*(settle(factory) for factory in factories)))
