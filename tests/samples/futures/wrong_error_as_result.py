"""WRONG: from_callback's on_error stores the exception as the future's result.

Violates: "`on_error(exc)` sets the exception". A good grader says: use
`fut.set_exception(exc)` so that `await fut` raises; `set_result(exc)` makes the error
look like a successful value and the caller never notices the failure.

Fails: test_from_callback_error_becomes_the_exception, test_from_callback_ignores_later_calls
Cause: wrong | as its *result* | set_exception
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
    await asyncio.sleep(delay)
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
            fut.set_result(exc)

    start(on_success, on_error)
    return fut
