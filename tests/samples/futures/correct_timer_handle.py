"""CORRECT: loop.call_at timers and a one-shot guard object instead of plain sleeps and closures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def resolved(value: T) -> asyncio.Future[T]:
    fut: asyncio.Future[T] = asyncio.Future(loop=asyncio.get_running_loop())
    fut.set_result(value)
    return fut


def _set_if_pending(fut: asyncio.Future, value: object) -> None:
    if not fut.done():
        fut.set_result(value)


async def resolve_later(fut: asyncio.Future[T], delay: float, value: T) -> None:
    loop = asyncio.get_running_loop()
    wake_up = loop.create_future()
    handle = loop.call_at(loop.time() + delay, _set_if_pending, wake_up, None)
    try:
        await wake_up
    finally:
        handle.cancel()  # if we are cancelled early, no timer is left behind
    _set_if_pending(fut, value)


class _Once:
    """Forwards the first outcome to the future and drops every later one."""

    def __init__(self, fut: asyncio.Future) -> None:
        self.fut = fut
        self.settled = False

    def success(self, value: object) -> None:
        if not self.settled and not self.fut.done():
            self.fut.set_result(value)
        self.settled = True

    def error(self, exc: BaseException) -> None:
        if not self.settled and not self.fut.done():
            self.fut.set_exception(exc)
        self.settled = True


def from_callback(
    start: Callable[[Callable[[object], None], Callable[[BaseException], None]], None],
) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()
    once = _Once(fut)
    start(once.success, once.error)
    return fut
