"""CORRECT: hand-rolled with loop.call_later(task.cancel) and done callbacks feeding one future."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(aw)
    timed_out = False

    def expire() -> None:
        nonlocal timed_out
        timed_out = True
        task.cancel()

    handle = loop.call_later(delay, expire)
    try:
        await asyncio.wait({task})  # returns once the task is done, cleanup included
    except asyncio.CancelledError:
        task.cancel()  # cancelled by our caller: stop the work, wait for its cleanup
        await asyncio.wait({task})
        raise
    finally:
        handle.cancel()
    if timed_out:
        return True
    task.result()
    return False


async def heartbeat(interval: float, log: list[str]) -> None:
    loop = asyncio.get_running_loop()
    next_beat = loop.time() + interval
    try:
        while True:
            await asyncio.sleep(next_beat - loop.time())
            log.append("beat")
            next_beat += interval
    except asyncio.CancelledError:
        log.append("stopped")
        raise


async def first_completed(factories: list[Callable[[], Awaitable[T]]]) -> T:
    if not factories:
        raise ValueError("need at least one factory")
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[T] = loop.create_future()
    tasks = [asyncio.ensure_future(factory()) for factory in factories]
    unfinished = len(tasks)
    last_error: BaseException = asyncio.CancelledError()

    def on_done(task: asyncio.Future[T]) -> None:
        # Done callbacks run in completion order, so the last failure seen is the last.
        nonlocal unfinished, last_error
        unfinished -= 1
        if outcome.done():
            return
        if not task.cancelled():
            if task.exception() is None:
                outcome.set_result(task.result())
                return
            last_error = task.exception()
        if unfinished == 0:
            outcome.set_exception(last_error)

    for task in tasks:
        task.add_done_callback(on_done)
    try:
        return await outcome
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled():
                task.exception()  # mark as retrieved: losers' errors are expected
