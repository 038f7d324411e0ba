"""Producers, consumers and a queue.

A queue decouples the code that produces work from the tasks that consume it: you put
items on an `asyncio.Queue`, and a fixed number of worker tasks take them off and
process them. The number of workers bounds how much runs at once, and each worker is
one long-lived task instead of one task per item. `await queue.get()` waits without
blocking the loop; `queue.task_done()` and `await queue.join()` let you wait until
every item has been processed.

The hard part is the end: workers that wait on `get()` forever must be stopped
(cancelled, or sent a "stop" item), and a worker that fails must not leave `join()`
waiting for an item that will never be marked done.

Read: https://docs.python.org/3/library/asyncio-queue.html
"""

from __future__ import annotations

import asyncio  # noqa: F401  (you will need it)
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def process_all(items: list[T], handle: Callable[[T], Awaitable[R]], workers: int) -> list[R]:
    """Process every item with ``await handle(item)`` in ``workers`` worker tasks.

    Puts the items on an ``asyncio.Queue`` served by exactly ``workers`` worker tasks,
    each calling ``await handle(item)``; returns the results in the order of ``items``.

    ``handle`` runs in at most ``workers`` tasks (not one task per item), ``workers``
    calls at once while items wait. For example 10 items whose calls take 1 second
    each, with ``workers=3``, take about 4 seconds.

    When it returns, no worker task is left running.

    If ``handle`` raises for an item, the other calls are cancelled and have finished,
    and that same exception (not an ``ExceptionGroup``) propagates; it never hangs.

    ``workers < 1`` raises ``ValueError``.

    (The suites check this behaviour, not the use of a queue.)

    When the task awaiting it is cancelled (by its caller), it cancels every worker (and
    the calls of ``handle`` they are running), waits until they have finished, and lets
    the cancellation propagate: the caller's task ends *cancelled*.
    """
    raise NotImplementedError
