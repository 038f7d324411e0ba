"""WRONG: Debouncer runs each pending call as a task that sleeps, instead of a loop timer.

Violates: "Use the loop's own scheduling (`call_soon`, `call_later`, `call_at`): no task, no
thread". A good grader says: the timing is right, but every trigger creates (and cancels) a whole
task with a coroutine behind it; a delayed call is a TimerHandle: loop.call_later(delay, ...).
Fails: test_no_task_and_no_thread
Cause: wrong | 1 task(s) | call_later
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
        self._task: asyncio.Task[None] | None = None

    async def _later(self, args: tuple[object, ...]) -> None:
        await asyncio.sleep(self._delay)
        self._callback(*args)

    def trigger(self, *args: object) -> None:
        self.cancel()
        self._task = asyncio.create_task(self._later(args))

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @property
    def pending(self) -> bool:
        return self._task is not None and not self._task.done()
