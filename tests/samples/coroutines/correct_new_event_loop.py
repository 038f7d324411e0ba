"""CORRECT: a hand-managed loop (new_event_loop, run_until_complete, close in finally)."""

from __future__ import annotations

import asyncio
import sys


def regular_double(x: int) -> int:
    return 2 * x


async def async_double(x: int) -> int:
    return 2 * x


async def print_double(x: int) -> None:
    sys.stdout.write(f"{await async_double(x)}\n")


def run_double(x: int) -> int:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(async_double(x))
    finally:
        loop.close()
