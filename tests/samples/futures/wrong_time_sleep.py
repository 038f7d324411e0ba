"""WRONG: resolve_later waits with time.sleep instead of asyncio.sleep.

Violates: "after `delay` seconds ... without blocking the loop" (conventions: the loop
thread never sits in time.sleep). A good grader says: time.sleep freezes the whole event
loop, so nothing else runs meanwhile; `await asyncio.sleep(delay)` suspends only this
coroutine.

Fails: test_resolve_later_sets_the_result, test_resolve_later_resolves_after_the_delay, test_resolve_later_leaves_a_future_cancelled_meanwhile, test_resolve_later_keeps_the_first_result
Cause: blocking | time.sleep | resolve_later
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def resolved(value: T) -> asyncio.Future[T]:
    # Futures belong to one loop: ask the running loop for it rather than
    # building one that might be bound to another loop.
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(value)
    return fut


async def resolve_later(fut: asyncio.Future[T], delay: float, value: T) -> None:
    time.sleep(delay)
    # A future is resolved at most once: someone may have cancelled or resolved it
    # while we slept, and set_result() on a done future raises InvalidStateError.
    if not fut.done():
        fut.set_result(value)


def from_callback(
    start: Callable[[Callable[[object], None], Callable[[BaseException], None]], None],
) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()

    # Callback APIs may call back twice, or after the awaiting side gave up
    # (cancelled the future): the first outcome wins, the rest are dropped.
    def on_success(value: object) -> None:
        if not fut.done():
            fut.set_result(value)

    def on_error(exc: BaseException) -> None:
        if not fut.done():
            fut.set_exception(exc)

    start(on_success, on_error)
    return fut
