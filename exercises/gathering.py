"""Lesson 2: running coroutines concurrently.

`await` runs one coroutine to its end before the next line starts, so awaiting three
one-second sleeps one after the other takes three seconds. To let them wait *at the
same time*, wrap them in tasks and wait for all of them together: `asyncio.gather(...)`
or an `asyncio.TaskGroup`. Both hand back results in the order you started things,
not in the order they finished.

They differ when something fails: a TaskGroup cancels the other tasks and raises an
`ExceptionGroup`; `gather` re-raises the first exception and lets the others run on
(or, with `return_exceptions=True`, returns exceptions as values). Choose on purpose.

Read: https://docs.python.org/3/library/asyncio-task.html#running-tasks-concurrently
and https://docs.python.org/3/library/asyncio-task.html#task-groups
"""

from __future__ import annotations

import asyncio  # noqa: F401  (you will need it)
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def slow_square(x: int, delay: float) -> int:
    """Wait `delay` seconds without blocking the loop, then return `x * x`."""
    raise NotImplementedError


async def squares_concurrently(xs: list[int], delay: float) -> list[int]:
    """Return `[x * x for x in xs]`, in the order of `xs`.

    Each value is computed by a `slow_square(x, delay)` call (through this module's
    global name `slow_square`, so a test can replace it), and the calls run
    concurrently: the whole thing takes about `delay` seconds of loop time, whatever
    `len(xs)` is. An empty `xs` gives `[]` at once. Nothing may be left running when it
    returns.
    """
    raise NotImplementedError


async def gather_settled(factories: list[Callable[[], Awaitable[T]]]) -> list[tuple[str, object]]:
    """Run every factory's awaitable concurrently and report how each one ended.

    Call every factory (each call returns an awaitable) and run the awaitables
    concurrently. Return, in the order of `factories`, `("ok", value)` for each one
    that returned `value`, and `("error", exc)` for each one that raised an `Exception`
    `exc`. One failure neither cancels nor delays the others: the whole call takes as
    long as the slowest one. Nothing may be left running when it returns.
    """
    raise NotImplementedError
