"""The event loop and other threads.

An event loop runs in one thread, and almost nothing in asyncio is thread-safe:
a future set, a task created or a callback scheduled from another thread may go
unnoticed (the loop sleeps in select() and nobody wakes it) or corrupt its state.
Two doors are made for crossing over:

- from a thread *into* the loop: ``loop.call_soon_threadsafe(callback, *args)``
  schedules a plain callback on the loop and wakes it up;
- from a thread, *run a coroutine* on a loop and get a thread-safe
  ``concurrent.futures.Future`` back: ``asyncio.run_coroutine_threadsafe(coro, loop)``.

Legacy libraries with callbacks fired from their own threads, GUI toolkits and
synchronous code that must use an async client all need these bridges.

Read: https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading
and https://docs.python.org/3/library/asyncio-task.html#scheduling-from-other-threads
"""

from __future__ import annotations

import asyncio
import concurrent.futures  # noqa: F401  (you will probably need it)
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def result_from_thread(start: Callable[[Callable[[object], None]], None]) -> object:
    """Wait, without blocking the loop, for a value that another thread delivers.

    Call ``start(callback)`` once. ``start`` hands ``callback`` to code that will call
    it once, *from another thread* (not the loop's), with a value. Return that value.

    The hand-over is thread-safe, with no polling (no loop of short sleeps checking a
    variable) and no blocking of the loop (no ``queue.Queue.get()``,
    ``threading.Event.wait()``, ``time.sleep`` or lock on the loop's thread): other
    tasks keep running while this one waits.
    """
    raise NotImplementedError


def call_async_from_thread(
    loop: asyncio.AbstractEventLoop,
    fn: Callable[..., Awaitable[T]],
    *args: object,
    timeout: float,
) -> T:
    """Run ``fn(*args)`` on ``loop`` and block the calling thread until its result.

    Called from a thread that is not ``loop``'s, while ``loop`` runs (``run_forever``)
    in its own thread. ``fn`` is an ``async def`` function: the coroutine
    ``fn(*args)`` must run on ``loop`` (not on a new loop of the calling thread).

    Returns its result, waiting at most ``timeout`` wall-clock seconds.

    On timeout, has the coroutine cancelled on ``loop`` (it sees ``CancelledError``
    there) and raises ``TimeoutError``.

    Exceptions raised by ``fn``, its own ``TimeoutError`` included, propagate to the
    caller unchanged (same type and message), as soon as ``fn`` raises them.
    """
    raise NotImplementedError
