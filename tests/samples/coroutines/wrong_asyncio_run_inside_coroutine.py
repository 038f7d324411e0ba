"""WRONG: print_double calls asyncio.run(...) although it already runs on a loop.

Violates: "prints the value of `async_double(x)`": it raises RuntimeError instead.
A good grader says: asyncio.run() starts a new loop and cannot be called from a running one
("asyncio.run() cannot be called from a running event loop"); inside a coroutine, just await.
Fails: test_print_double_prints_the_value, test_print_double_awaits_async_double
Cause: wrong | asyncio.run() | already runs on an event loop
"""

from __future__ import annotations

import asyncio


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    print(asyncio.run(async_double(x)))


def run_double(x: int) -> int:
    return asyncio.run(async_double(x))
