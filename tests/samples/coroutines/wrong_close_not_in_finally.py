"""WRONG: run_double closes its new loop after run_until_complete, not in a `finally`.

Violates: "runs `async_double(x)` on a new event loop, which is closed before it returns" (and
no exercise may leave sockets behind: a loop holds a self-pipe socket pair). When running fails
(here: called while another loop runs, so run_until_complete raises RuntimeError), `close()` is
skipped and the loop stays open.
A good grader says: close what you open in a `finally` (or let asyncio.run do it), so that an
exception does not skip the cleanup.
Fails: test_run_double_closes_its_new_loop
Cause: leak | open | finally
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
    value = loop.run_until_complete(async_double(x))
    loop.close()
    return value
