"""Tasks, and cancelling them.

A coroutine does nothing until something awaits it. A *task* wraps a coroutine and
schedules it on the event loop, so it runs concurrently with the code that created it
(``asyncio.create_task(coro)``, or ``asyncio.ensure_future(aw)`` for any awaitable).
A task is also a future: you can await it for its result, or wait for several with
``asyncio.wait()`` / ``asyncio.as_completed()``.

``task.cancel()`` only *requests* cancellation: the task's coroutine gets a
``CancelledError`` at its next ``await``, may run cleanup (``finally`` blocks), and
should let the error propagate so that the task ends *cancelled*. Until it has
finished, its cleanup has not run: wait for it. A task you start is yours to finish
or cancel; never leave one running behind you.

That holds when *you* are cancelled too (structured concurrency): if the task awaiting
your function is cancelled while the work you started still runs, cancel that work,
wait until it has finished, and only then let your own ``CancelledError`` go on
(``async with asyncio.TaskGroup()`` does all of this for the tasks it holds). A
function that re-raises at once leaves its work running, its cleanup not yet done.

Read: https://docs.python.org/3/library/asyncio-task.html
"""

from __future__ import annotations

import asyncio  # noqa: F401 (you will need it)
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    """Run ``aw`` as a task, and cancel it if it takes longer than ``delay`` seconds.

    - If it has not finished after ``delay`` seconds: cancel it, wait until it has
      actually finished (its cleanup has run), and return ``True``.
    - If it finishes in time: return ``False`` at that moment, without waiting out
      ``delay``.
    - If ``aw`` raises before ``delay``: that exception propagates at that moment.

    Seconds are event-loop seconds; never block the loop.

    When the task awaiting it is cancelled (by its caller), it cancels the task it
    started, waits until that task has finished (its cleanup has run), and lets the
    cancellation propagate: the caller's task ends *cancelled*.
    """
    raise NotImplementedError


async def heartbeat(interval: float, log: list[str]) -> None:
    """Append ``"beat"`` to ``log`` every ``interval`` seconds, forever.

    The k-th beat is appended ``k * interval`` seconds after the call (the first one
    after ``interval`` seconds, not at once), on the loop's clock.

    When cancelled, append ``"stopped"`` and let the cancellation propagate: the task
    running ``heartbeat`` must end *cancelled* (``task.cancelled()`` is true).
    """
    raise NotImplementedError


async def first_completed(factories: list[Callable[[], Awaitable[T]]]) -> T:
    """Run every ``factory()`` concurrently and return the first *successful* result.

    Each factory, when called, returns an awaitable. Failures (``Exception``) are
    ignored unless every one fails; then raise the exception of the one that failed
    last (in completion order). Before returning or raising, every other task has
    been cancelled and has finished (its cleanup has run): nothing is left running.

    Raises ``ValueError`` (with a message) if ``factories`` is empty.

    When the task awaiting it is cancelled (by its caller), it cancels every task it
    started, waits until they have finished, and lets the cancellation propagate: the
    caller's task ends *cancelled*.
    """
    raise NotImplementedError
