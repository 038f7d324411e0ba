"""WRONG: Debouncer._fire forgets the handle after running the callback, not before.

Violates: "`pending`: `True` while a call is scheduled and has not run" and "`cancel()`
cancels the pending call". A callback that triggers the debouncer again schedules a new
call, whose handle is then wiped: pending reads False and cancel() cannot stop it. A good
grader says: forget the old handle before running the callback.

Fails: test_debouncer_triggered_from_its_own_callback
Cause: wrong | pending was False | forget the old handle *before* running the callback
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def schedule_greeting(delay: float, log: list[str]) -> asyncio.TimerHandle:
    loop = asyncio.get_running_loop()
    # The loop stores (deadline, callback, args) and calls `log.append("hello")` itself:
    # no task, no thread, just a timer entry that cancel() can strike out.
    return loop.call_later(delay, log.append, "hello")


def schedule_sequence(
    messages: list[str], interval: float, log: list[str]
) -> list[asyncio.TimerHandle]:
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval!r}")
    loop = asyncio.get_running_loop()
    # Absolute deadlines from one start time: the i-th message does not drift by the
    # time it took to schedule the ones before it.
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
        # Striking out the pending call and booking a new one moves the deadline to
        # `delay` after this trigger, with this trigger's arguments.
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
        # A TimerHandle cannot tell whether it has run, so forget it here, before the
        # callback runs (the callback may trigger again).
        self._callback(*args)
        self._handle = None
