"""WRONG: resolve_later waits with asyncio.wait_for(fut, delay), which cancels fut when time is up.

Violates: "after `delay` seconds, sets `fut`'s result to `value`". A good grader says: on
timeout, wait_for cancels what it waited for, here the caller's future, so it can no
longer be resolved; sleep for the delay (`await asyncio.sleep(delay)`) and then set the
result unless the future is done.

Fails: test_resolve_later_sets_the_result, test_resolve_later_resolves_after_the_delay
Cause: wrong | was cancelled | wait_for
"""

from __future__ import annotations

import asyncio
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
    try:
        # Wake up early if someone else settles the future...
        await asyncio.wait_for(fut, delay)
    except (TimeoutError, asyncio.CancelledError):
        pass
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
