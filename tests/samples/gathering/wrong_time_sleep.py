"""WRONG: slow_square waits with time.sleep, which blocks the event loop.

Violates: "waits `delay` seconds without blocking the loop". A good grader says: time.sleep
freezes the whole loop, so no other call can make progress and "concurrent" calls run one after
the other; use `await asyncio.sleep(delay)`.
Fails: test_slow_square_returns_the_square, test_slow_square_waits_the_delay, test_slow_square_does_not_block
Cause: blocking | time.sleep | slow_square
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    time.sleep(delay)
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
