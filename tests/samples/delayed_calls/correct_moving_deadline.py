"""CORRECT: one timer per burst: triggers move a deadline, and a timer that fires early re-arms itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def schedule_greeting(delay: float, log: list[str]) -> asyncio.TimerHandle:
    return asyncio.get_running_loop().call_later(delay, log.append, "hello")


def schedule_sequence(
    messages: list[str], interval: float, log: list[str]
) -> list[asyncio.TimerHandle]:
    if interval <= 0:
        raise ValueError(f"interval must be positive: {interval}")
    loop = asyncio.get_running_loop()
    now = loop.time()
    deadlines = [now + interval * n for n in range(1, len(messages) + 1)]
    return [loop.call_at(when, log.append, msg) for when, msg in zip(deadlines, messages)]


class Debouncer:
    """Instead of cancelling and re-creating a timer on every trigger (many triggers in a
    burst), keep one timer and move the deadline; when the timer fires before the current
    deadline, it re-arms itself for it. Observably the same: one call, `delay` after the
    last trigger, with the last arguments."""

    def __init__(self, delay: float, callback: Callable[..., None]) -> None:
        self._delay = delay
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None
        self._deadline = 0.0
        self._args: tuple[object, ...] = ()

    def trigger(self, *args: object) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self._delay
        self._args = args
        if self._handle is None:
            self._handle = loop.call_at(self._deadline, self._on_timer)

    def _on_timer(self) -> None:
        assert self._handle is not None
        if self._deadline > self._handle.when():
            # A trigger came in after this timer was armed: wait for the new deadline.
            self._handle = asyncio.get_running_loop().call_at(self._deadline, self._on_timer)
            return
        self._handle = None
        args, self._args = self._args, ()
        self._callback(*args)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._args = ()

    @property
    def pending(self) -> bool:
        return self._handle is not None
