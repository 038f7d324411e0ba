"""WRONG: run_double returns the coroutine object instead of running it on a loop.

Violates: "runs `async_double(x)` on a new event loop ... and returns its value".
A good grader says: nothing runs a coroutine for you in synchronous code; start a loop with
asyncio.run(...) and return what it returns.
Fails: test_run_double_returns_the_value, test_run_double_closes_its_new_loop
Cause: wrong | returned a coroutine object | asyncio.run(
"""

from __future__ import annotations


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    print(await async_double(x))


def run_double(x: int) -> int:
    return async_double(x)
