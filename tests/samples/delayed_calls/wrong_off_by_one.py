"""WRONG: schedule_sequence is off by one: message i is due at i * interval, so the first comes at once.

Violates: "`messages[i]` is appended to `log` `(i + 1) * interval` seconds after the call".
A good grader says: every message arrives one interval too early (the first with no delay at
all); count the first wait: message i is due after (i + 1) intervals.
Fails: test_sequence_is_spaced_by_interval
Cause: timing | 'a' at 0 s | (i + 1) * interval
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
        loop.call_at(start + i * interval, log.append, message)
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
        return self._handle is not None

    def _fire(self, args: tuple[object, ...]) -> None:
        self._handle = None
        self._callback(*args)
