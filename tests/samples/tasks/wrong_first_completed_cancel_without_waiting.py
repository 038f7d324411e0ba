"""WRONG: first_completed cancels the other tasks but returns without waiting for them to finish.

Violates: "Before it returns or raises, every other task has been cancelled and has
finished". A good grader says: cancel() only asks a task to stop; its cleanup runs later,
after you have returned. Await the cancelled tasks (gather(..., return_exceptions=True)
or asyncio.wait) in the `finally` block.

Fails: test_first_completed_cancels_and_waits_for_the_others
Cause: leak | not seen CancelledError yet | only asks
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
