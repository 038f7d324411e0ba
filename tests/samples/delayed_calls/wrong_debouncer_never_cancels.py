"""WRONG: Debouncer.trigger schedules a new call without cancelling the pending one.

Violates: "`callback(*args)` runs once, `delay` seconds after the *last* trigger ...; every
trigger cancels the pending call". A good grader says: n quick triggers run the callback n
times; keep the handle and cancel() it before scheduling the next call.
Fails: test_debouncer_runs_once_after_the_last_trigger
Cause: wrong | callback(1, 'x') | cancel the pending call
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
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(self._delay, self._fire, args)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def _fire(self, args: tuple[object, ...]) -> None:
        self._handle = None
        self._callback(*args)
