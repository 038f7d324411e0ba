"""WRONG: cancel_after, cancelled by its caller, cancels its task but does not wait for it.

Violates the convention "Cancelled by its caller": the task it started is cancelled and
has finished (its cleanup has run) before the cancellation propagates. A good grader
says: after `task.cancel()`, `await asyncio.wait({task})`, then `raise`.

Fails: test_cancel_after_cancelled_by_its_caller_waits_for_the_work
Cause: leak | still cleaning up | only asks
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
        # We are being cancelled ourselves: cancel the work too, and wait until its
        # cleanup has finished before letting our own cancellation go on.
        task.cancel()
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
        # Wait for the losers' cleanup; return_exceptions=True also marks their
        # errors as retrieved, so none is logged as "never retrieved".
        await asyncio.gather(*tasks, return_exceptions=True)
