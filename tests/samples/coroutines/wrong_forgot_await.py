"""WRONG: print_double forgets `await` and prints the coroutine object.

Violates: "prints the value of `async_double(x)` on standard output" (`print_double(3)` prints `6`).
A good grader says: calling an async function only creates a coroutine object; `await` it to
get its value (Python also warns "coroutine 'async_double' was never awaited").
Fails: test_print_double_prints_the_value, test_print_double_awaits_async_double
Cause: wrong | coroutine object | `await` it
"""

from __future__ import annotations

import asyncio


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    print(async_double(x))


def run_double(x: int) -> int:
    return asyncio.run(async_double(x))
