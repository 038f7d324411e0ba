"""WRONG: from_callback's callbacks do not guard against being called twice.

Violates: "Later calls of either callback are ignored without error".
A good grader says: callback APIs may call back more than once (or after the awaiting
side cancelled the future); check `fut.done()` before set_result()/set_exception(), or
InvalidStateError escapes into the caller's code.

Fails: test_from_callback_first_success_wins, test_from_callback_ignores_later_calls, test_from_callback_answer_inside_start
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
    # A future is resolved at most once: someone may have cancelled or resolved it
    # while we slept, and set_result() on a done future raises InvalidStateError.
    if not fut.done():
        fut.set_result(value)


def from_callback(
    start: Callable[[Callable[[object], None], Callable[[BaseException], None]], None],
) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()

    def on_success(value: object) -> None:
        fut.set_result(value)

    def on_error(exc: BaseException) -> None:
        fut.set_exception(exc)

    start(on_success, on_error)
    return fut
