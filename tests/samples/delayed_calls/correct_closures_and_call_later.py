"""CORRECT: call_later for every timer, and a closure per trigger that forgets its own handle."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial


def schedule_greeting(delay: float, log: list[str]) -> asyncio.TimerHandle:
    loop = asyncio.get_running_loop()
    return loop.call_at(loop.time() + delay, partial(log.append, "hello"))


def schedule_sequence(
    messages: list[str], interval: float, log: list[str]
) -> list[asyncio.TimerHandle]:
    if not interval > 0:
        raise ValueError("interval must be > 0")
    loop = asyncio.get_running_loop()
    handles = []
    for i, message in enumerate(messages):
        handles.append(loop.call_later((i + 1) * interval, log.append, message))
    return handles


class Debouncer:
    def __init__(self, delay: float, callback: Callable[..., None]) -> None:
        self.delay = delay
        self.callback = callback
        self._handle: asyncio.TimerHandle | None = None

    def trigger(self, *args: object) -> None:
        if self._handle is not None:
            self._handle.cancel()

        def fire() -> None:
            self._handle = None
            self.callback(*args)

        self._handle = asyncio.get_running_loop().call_later(self.delay, fire)

    def cancel(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()

    @property
    def pending(self) -> bool:
        return self._handle is not None
