"""WRONG: resolve_later schedules loop.call_later(delay, fut.set_result, value) and returns at once.

Violates: "after `delay` seconds, sets `fut`'s result" (it returns before the result is
set) and "no exercise may leave ... timer handles running after its function returns".
A good grader says: an async function should finish its work before it returns; await
the delay, and do not leave a timer behind (which also raises InvalidStateError later if
the future was cancelled meanwhile).

Fails: test_resolve_later_sets_the_result, test_resolve_later_resolves_after_the_delay, test_resolve_later_leaves_a_future_cancelled_meanwhile, test_resolve_later_keeps_the_first_result
Cause: wrong | still pending | timer
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
    asyncio.get_running_loop().call_later(delay, fut.set_result, value)


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
