"""WRONG: heartbeat appends "stopped" on cancellation but returns instead of re-raising.

Violates: "When cancelled it appends "stopped" and lets the cancellation propagate: the
task ends cancelled". A good grader says: catching CancelledError and returning makes
the task look as if it finished normally, and callers (TaskGroup, timeouts, wait_for)
can no longer tell it was cancelled. Do your cleanup, then `raise`.

Fails: test_heartbeat_ends_cancelled, test_heartbeat_cancelled_before_the_first_beat
Cause: wrong | finished normally | `raise`
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
