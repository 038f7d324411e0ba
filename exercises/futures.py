"""Futures: the result of work not done yet.

An ``asyncio.Future`` is a placeholder for a result that does not exist yet. Some
code awaits it; other code, later, fills it in with ``set_result()`` or
``set_exception()`` (or cancels it). Every task is a future, and every ``await`` on
I/O ends up waiting on one, so futures are how the loop connects "something will
happen" to "resume this coroutine when it does". They also let you wrap old
callback-style APIs so that they can be awaited.

A future belongs to one event loop (create it with ``loop.create_future()``) and is
resolved at most once: setting a done future raises ``asyncio.InvalidStateError``.

Read: https://docs.python.org/3/library/asyncio-future.html
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def resolved(value: T) -> asyncio.Future[T]:
    """Return a future of the running loop that already holds ``value``.

    Called from code running on an event loop. The returned future is done at once:
    ``fut.done()`` is true and ``fut.result()`` is ``value``.
    """
    raise NotImplementedError


async def resolve_later(fut: asyncio.Future[T], delay: float, value: T) -> None:
    """After ``delay`` seconds, set ``fut``'s result to ``value``.

    Waits ``delay`` seconds of loop time without blocking the loop, then sets the
    result. If ``fut`` is done by then (cancelled, or resolved elsewhere), it does
    nothing and raises nothing.
    """
    raise NotImplementedError


def from_callback(
    start: Callable[[Callable[[object], None], Callable[[BaseException], None]], None],
) -> asyncio.Future:
    """Turn a callback-style operation into a future of the running loop.

    Calls ``start(on_success, on_error)`` exactly once and returns a future that is
    resolved by whichever callback runs first:

    - ``on_success(value)`` sets the future's result to ``value``;
    - ``on_error(exc)`` sets the future's exception to ``exc``.

    Later calls of either callback are ignored without error. The callbacks are
    called on the loop's thread (``start`` may call one of them at once, or later).
    """
    raise NotImplementedError
