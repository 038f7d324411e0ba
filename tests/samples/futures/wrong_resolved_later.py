"""WRONG: resolved() schedules set_result with loop.call_soon instead of setting it now.

Violates: "a future of the running loop that *already* holds `value`".
A good grader says: the future is pending until the loop runs another iteration;
`fut.done()` is False and `fut.result()` raises InvalidStateError for a caller who does
not await it. Call `fut.set_result(value)` directly: no scheduling is needed.

Fails: test_resolved_is_done_with_the_value, test_resolved_holds_that_very_object_on_the_running_loop
Cause: wrong | not done yet | set_result(value)` directly
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def resolved(value: T) -> asyncio.Future[T]:
    # Futures belong to one loop: ask the running loop for it rather than
    # building one that might be bound to another loop.
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, value)
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
            fut.set_exception(exc)

    start(on_success, on_error)
    return fut
