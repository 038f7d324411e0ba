"""WRONG: first_completed cancels and awaits the other tasks after the race, not in a
`finally:`.

Violates the convention "Cancelled by its caller": when the caller cancels it during the
race, the cleanup is skipped and every task keeps running. A good grader says: cancel
and await what you started in a `finally:`.

Fails: test_first_completed_cancelled_by_its_caller_waits_for_the_tasks
Cause: leak | never cancelled | when your caller cancels you
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
        await asyncio.wait({task})
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
    winner: T | None = None
    errors: list[Exception] = []
    for next_done in asyncio.as_completed(tasks):
        try:
            winner = await next_done
            break
        except Exception as exc:
            errors.append(exc)
    # the mistake: a cancellation during the race never gets here
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if len(errors) == len(tasks):
        raise errors[-1]
    return winner  # type: ignore[return-value]
