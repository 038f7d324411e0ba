"""WRONG: squares_concurrently awaits the calls one after the other.

Violates: "computed by `slow_square(x, delay)` calls that run concurrently: it takes about
`delay` seconds whatever `len(xs)` is". A good grader says: each `await` waits for its call to
finish before the next one starts, so n calls take n * delay; start them all (gather, TaskGroup)
and then wait for all of them.
Fails: test_squares_run_concurrently
Cause: timing | took 10 s | one after another
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
    return [await slow_square(x, delay) for x in xs]


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    async def settle(factory: Callable[[], Awaitable[T]]) -> tuple[str, object]:
        try:
            return ("ok", await factory())
        except Exception as exc:
            return ("error", exc)

    return list(await asyncio.gather(*(settle(factory) for factory in factories)))
