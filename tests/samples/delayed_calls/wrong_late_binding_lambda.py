"""WRONG: schedule_sequence schedules `lambda: log.append(message)` in a loop (late binding).

Violates: "`messages[i]` is appended to `log`": every timer appends the LAST message.
A good grader says: a lambda looks up `message` when it runs, after the loop has moved on;
pass the value as an argument instead: `loop.call_later(delay, log.append, message)`.
Fails: test_sequence_is_spaced_by_interval, test_sequence_handles_cancel_their_own_message
Cause: wrong | same message | lambda
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
    handles = []
    for i, message in enumerate(messages):
        handles.append(loop.call_at(start + (i + 1) * interval, lambda: log.append(message)))
    return handles


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
