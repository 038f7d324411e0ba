"""WRONG: from_callback calls start() before it has created the future.

Violates: "`start` may call one of them at once" (the callbacks can run before
from_callback returns). A good grader says: a callback that runs inside start() finds no
future yet (NameError); create the future first, then call start(on_success, on_error).

Fails: test_from_callback_answer_inside_start
Cause: wrong | NameError | create the future *before* calling start()
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
    # Callback APIs may call back twice, or after the awaiting side gave up
    # (cancelled the future): the first outcome wins, the rest are dropped.
    def on_success(value: object) -> None:
        if not fut.done():
            fut.set_result(value)

    def on_error(exc: BaseException) -> None:
        if not fut.done():
            fut.set_exception(exc)

    start(on_success, on_error)
    fut = asyncio.get_running_loop().create_future()
    return fut
