"""Reference solution: async functions, and why a coroutine needs `await` to run."""

from __future__ import annotations

import asyncio


def regular_double(x: int) -> int:
    """Given, already implemented: return `2 * x`. Compare it with `async_double`."""
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    # Calling async_double only builds a coroutine object; `await` runs it and hands
    # back its return value.
    print(await async_double(x))


def run_double(x: int) -> int:
    # Plain synchronous code has no loop: asyncio.run creates one, runs the coroutine
    # to the end, and closes the loop again (also when the coroutine raises).
    return asyncio.run(async_double(x))
