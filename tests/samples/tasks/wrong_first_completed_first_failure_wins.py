"""WRONG: first_completed returns (or raises) whatever finishes first, failures included.

Violates: "returns the first *successful* result. Failures are ignored unless every one
fails". A good grader says: an early failure must not end the race; keep waiting for the
others and remember the failure, raising only when nobody succeeded.

Fails: test_first_completed_skips_failures, test_first_completed_cancels_and_waits_for_the_others, test_first_completed_raises_the_last_failure
Cause: wrong | early failure | keep waiting for the others
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    task = asyncio.ensure_future(aw)
    try:
        # wait() only reports: unlike wait_for() it neither cancels the task on
        # timeout nor raises the task's exception, so we stay in control.
        done, _ = await asyncio.wait({task}, timeout=delay)
    except asyncio.CancelledError:
        task.cancel()  # we are being cancelled ourselves: don't leave the work running
        raise
    if task in done:
        task.result()  # re-raises the exception of `aw`, if it failed
        return False
    # cancel() only *requests* cancellation: the task sees CancelledError at its
    # next await and may run cleanup, so wait until it has really finished.
    task.cancel()
    await asyncio.wait({task})
    return True


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
        # as_completed() hands the outcomes over in the order they finish.
        for next_done in asyncio.as_completed(tasks):
            return await next_done
        raise AssertionError("unreachable: factories is not empty")
    finally:
        for task in tasks:
            task.cancel()
        # Wait for the losers' cleanup; return_exceptions=True also marks their
        # errors as retrieved, so none is logged as "never retrieved".
        await asyncio.gather(*tasks, return_exceptions=True)
