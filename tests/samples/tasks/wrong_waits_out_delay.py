"""WRONG: cancel_after always sleeps `delay` seconds, then looks at the task.

Violates: "If it finishes in time it returns False at that moment, without waiting out
`delay`" (and an early exception must propagate at that moment). A good grader says:
`asyncio.sleep(delay)` ignores the task; wait on the task itself with a timeout
(`asyncio.wait({task}, timeout=delay)`) so that you wake up as soon as it is done.

Fails: test_cancel_after_returns_false_when_done_in_time, test_cancel_after_propagates_the_works_error_at_once, test_cancel_after_propagates_the_works_own_timeout
Cause: timing | returned after 3 s | don't sleep out `delay`
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    task = asyncio.ensure_future(aw)
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task.done():
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
