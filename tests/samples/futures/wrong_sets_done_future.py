"""WRONG: resolve_later sets the result without checking whether the future is done.

Violates: "unless `fut` is done by then (cancelled or resolved elsewhere): then it does
nothing and raises nothing". A good grader says: a future is resolved once; set_result()
on a cancelled or resolved future raises InvalidStateError, so check `fut.done()` first.

Fails: test_resolve_later_leaves_a_future_cancelled_meanwhile, test_resolve_later_keeps_the_first_result
Cause: wrong | InvalidStateError | fut.done()
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
