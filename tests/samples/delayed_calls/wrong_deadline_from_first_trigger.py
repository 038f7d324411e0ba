"""WRONG: Debouncer keeps the first deadline and only updates the arguments (a throttle, not a debounce).

Violates: "`callback(*args)` runs once, `delay` seconds after the *last* trigger".
A good grader says: the call fires `delay` after the FIRST trigger of a burst, too early; each
trigger must push the deadline back (cancel the pending call and schedule a new one).
Fails: test_debouncer_runs_once_after_the_last_trigger
Cause: timing | after the FIRST trigger | push the deadline back
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
        self._args: tuple[object, ...] = ()

    def trigger(self, *args: object) -> None:
        self._args = args
        if self._handle is None:
            loop = asyncio.get_running_loop()
            self._handle = loop.call_later(self._delay, self._fire, ())

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def _fire(self, args: tuple[object, ...]) -> None:
        self._handle = None
        self._callback(*self._args)
