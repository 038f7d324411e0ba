"""Lesson 3: delayed calls, the event loop's own timers.

Under every `await asyncio.sleep(...)` there is a simpler tool: the loop keeps a list
of timers and, on each turn, runs the plain callbacks whose time has come.
`loop.call_soon(fn, *args)` runs `fn(*args)` on the next turn, `loop.call_later(delay,
fn, *args)` after `delay` seconds, and `loop.call_at(when, fn, *args)` at the loop time
`when` (compare with `loop.time()`). They return a handle whose `cancel()` strikes the
call out. No task and no thread is involved, which makes timers cheap: ideal for
time-outs, retries and debouncing.

The callbacks are plain functions, not coroutines, and they run on the loop: keep them
short and never block in them. Get the loop with `asyncio.get_running_loop()`.

Read: https://docs.python.org/3/library/asyncio-eventloop.html#scheduling-callbacks
and https://docs.python.org/3/library/asyncio-eventloop.html#scheduling-delayed-callbacks
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# Use the loop's own scheduling (call_soon, call_later, call_at) in this lesson:
# no task, no thread. Every function here is called from code running on a loop.


def schedule_greeting(delay: float, log: list[str]) -> asyncio.TimerHandle:
    """Arrange for `"hello"` to be appended to `log` `delay` seconds from now.

    Return the timer handle, so that `handle.cancel()` before then means nothing is
    appended. Use the running loop's scheduling: no task, no thread.
    """
    raise NotImplementedError


def schedule_sequence(
    messages: list[str], interval: float, log: list[str]
) -> list[asyncio.TimerHandle]:
    """Append `messages[i]` to `log` `(i + 1) * interval` seconds after the call.

    Return one handle per message, in the order of `messages`. `interval <= 0` raises
    `ValueError` (with a message). Use the running loop's scheduling: no task, no
    thread.
    """
    raise NotImplementedError


class Debouncer:
    """Run `callback` once things have gone quiet for `delay` seconds.

    `Debouncer(delay, callback)`: every `trigger(*args)` cancels the pending call and
    schedules a new one, so `callback(*args)` runs once, `delay` seconds after the
    *last* trigger, with the *last* trigger's arguments. Use the running loop's
    scheduling: no task, no thread.
    """

    def __init__(self, delay: float, callback: Callable[..., None]) -> None:
        """Remember `delay` (seconds) and `callback`; nothing is scheduled yet."""
        raise NotImplementedError

    def trigger(self, *args: object) -> None:
        """Cancel the pending call, if any, and schedule `callback(*args)` `delay` seconds
        from now; `callback` runs once, `delay` seconds after the last trigger, with the
        last trigger's arguments.
        """
        raise NotImplementedError

    def cancel(self) -> None:
        """Cancel the pending call, if any (doing nothing if there is none)."""
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """Read-only: `True` while a call is scheduled and has not run yet.

        `False` before the first trigger, after `cancel()`, and once the callback has run.
        """
        raise NotImplementedError
