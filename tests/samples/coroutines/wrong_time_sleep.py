"""WRONG: async_double "simulates work" with time.sleep, blocking the event loop.

Violates: "Without blocking the loop" (a convention for every coroutine of every exercise).
A good grader says: time.sleep freezes the whole event loop and every other task with it;
inside a coroutine use `await asyncio.sleep(...)`.
Fails: test_async_double_doubles, test_print_double_prints_the_value
Cause: blocking | time.sleep | async_double
"""

from __future__ import annotations

import asyncio
import time


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    time.sleep(0.05)
    return 2 * x


async def print_double(x: int) -> None:
    print(await async_double(x))


def run_double(x: int) -> int:
    return asyncio.run(async_double(x))
