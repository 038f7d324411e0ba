"""WRONG: run_double creates a new event loop and never closes it.

Violates: "runs `async_double(x)` on a new event loop, which is closed before it returns".
A good grader says: a loop you create is a resource you must close (its selector holds file
descriptors, and Python warns "unclosed event loop"); close it in a `finally`, or let
asyncio.run() create, run and close the loop for you.
Fails: test_run_double_closes_its_new_loop
Cause: leak | still open | closed
"""

from __future__ import annotations

import asyncio


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    print(await async_double(x))


def run_double(x: int) -> int:
    loop = asyncio.new_event_loop()
    return loop.run_until_complete(async_double(x))
