"""WRONG: cancel_after uses asyncio.wait_for and treats every TimeoutError as "timed out".

Violates: "If `aw` raises before `delay`, that exception propagates at that moment".
A good grader says: a TimeoutError raised by the work itself (e.g. its own network
timeout) is not your deadline expiring; with wait_for you cannot tell them apart. Check
whether *your* deadline expired (asyncio.wait with a timeout, or `asyncio.timeout()` and
its `expired()`).

Fails: test_cancel_after_propagates_the_works_own_timeout
Cause: wrong | own TimeoutError | wait_for
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    try:
        # wait_for() cancels `aw` on timeout and waits for it to finish.
        await asyncio.wait_for(aw, delay)
    except TimeoutError:
        return True
    return False


async def heartbeat(interval: float, log: list[str]) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    beats = 0
    try:
        while True:
            beats += 1
            # Sleep until an absolute deadline, not for `interval`: the time spent
            # between sleeps would otherwise add up and make the beats drift.
            await asyncio.sleep(start + beats * interval - loop.time())
            log.append("beat")
    except asyncio.CancelledError:
        log.append("stopped")
        raise  # swallowing it would make the task look as if it finished normally


async def first_completed(factories: list[Callable[[], Awaitable[T]]]) -> T:
    if not factories:
        raise ValueError("first_completed() needs at least one factory")
    tasks = [asyncio.ensure_future(factory()) for factory in factories]
    try:
        errors: list[Exception] = []
        # as_completed() hands the outcomes over in the order they finish.
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except Exception as exc:
                errors.append(exc)
        raise errors[-1]
    finally:
        for task in tasks:
            task.cancel()
        # Wait for the losers' cleanup; return_exceptions=True also marks their
        # errors as retrieved, so none is logged as "never retrieved".
        await asyncio.gather(*tasks, return_exceptions=True)
