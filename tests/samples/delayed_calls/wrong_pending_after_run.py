"""WRONG: Debouncer.pending asks the handle whether it was cancelled, so it stays True after the call ran.

Violates: "`pending` (read-only property): `True` while a call is scheduled and has not run".
A good grader says: a TimerHandle cannot tell you that it has run, only that it was cancelled;
record it yourself when the call runs (clear the handle in a wrapper callback).
Fails: test_debouncer_pending
Cause: wrong | pending was True | the call ran
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def schedule_greeting(delay: float, log: list[str]) -> asyncio.TimerHandle:
    loop = asyncio.get_running_loop()
    return loop.call_later(delay, log.append, "hello")


def schedule_sequence(
    messages: list[str], interval: float, log: list[str]
) -> list[asyncio.TimerHandle]:
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval!r}")
    loop = asyncio.get_running_loop()
    start = loop.time()
    return [
        loop.call_at(start + (i + 1) * interval, log.append, message)
        for i, message in enumerate(messages)
    ]


class Debouncer:
    def __init__(self, delay: float, callback: Callable[..., None]) -> None:
        self._delay = delay
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None

    def trigger(self, *args: object) -> None:
        self.cancel()
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(self._delay, self._fire, args)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def pending(self) -> bool:
        return self._handle is not None and not self._handle.cancelled()

    def _fire(self, args: tuple[object, ...]) -> None:
        self._callback(*args)
