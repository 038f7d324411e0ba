"""CORRECT: asyncio.Runner as a context manager, and the value kept in a name before printing."""

from __future__ import annotations

import asyncio


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return x + x


async def print_double(x: int) -> None:
    value = await async_double(x)
    print(value)


def run_double(x: int) -> int:
    # The Runner closes its loop when the `with` block ends.
    with asyncio.Runner() as runner:
        return runner.run(async_double(x))
