"""CORRECT: asyncio.wait with a timeout on a shielded copy, and try/except InvalidStateError."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def resolved(value: T) -> asyncio.Future[T]:
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.set_result(value)
    return fut


async def resolve_later(fut: asyncio.Future[T], delay: float, value: T) -> None:
    # A timer future that nobody else can touch: wait() returns when it times out.
    never = asyncio.get_running_loop().create_future()
    try:
        await asyncio.wait([never], timeout=delay)
    finally:
        never.cancel()
    try:
        fut.set_result(value)
    except asyncio.InvalidStateError:
        pass  # done elsewhere (cancelled or resolved): nothing to do


def from_callback(
    start: Callable[[Callable[[object], None], Callable[[BaseException], None]], None],
) -> asyncio.Future:
    fut = asyncio.get_running_loop().create_future()

    def on_success(value: object) -> None:
        try:
            fut.set_result(value)
        except asyncio.InvalidStateError:
            pass

    def on_error(exc: BaseException) -> None:
        try:
            fut.set_exception(exc)
        except asyncio.InvalidStateError:
            pass

    start(on_success, on_error)
    return fut
