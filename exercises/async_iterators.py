"""Async iterators: `async for`, async generators and closing them.

An *async iterator* is what ``async for`` walks: each step is ``await anext(it)``, so
the producer may wait (for the network, a timer, another task) between items without
blocking anyone. The easiest way to write one is an *async generator*: an
``async def`` with ``yield`` in it. Its body runs only while someone asks for the next
item, and it can hold resources in ``try``/``finally`` or ``async with``.

Which brings the catch: a consumer that stops early (``break``) leaves the generator
suspended at its ``yield``, its ``finally`` not yet run. Python would close it some day
(when it is garbage collected), but "some day" is no way to release a connection or a
task. Whoever stops early closes it: ``await gen.aclose()`` (or
``async with contextlib.aclosing(gen)``) raises ``GeneratorExit`` at the ``yield`` and
runs the cleanup now. The same holds for the tasks a generator starts: if it stops,
they stop, whether it is closed, fails, or its consumer's task is cancelled.

Read: https://docs.python.org/3/library/asyncio-task.html (waiting primitives) and
https://docs.python.org/3/reference/expressions.html#asynchronous-generator-functions
"""

from __future__ import annotations

# The solution uses these; the noqa keeps the linter quiet until yours does too.
import asyncio  # noqa: F401
import contextlib  # noqa: F401
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def ticks(interval: float, count: int) -> AsyncIterator[int]:
    """An async generator that yields ``0, 1, …, count - 1``, spaced in time.

    Each item comes ``interval`` seconds after the one before, and the first one
    ``interval`` seconds after iteration starts (so ``ticks(0.5, 3)`` yields ``0``, ``1``
    and ``2`` at 0.5, 1.0 and 1.5 seconds), without blocking the loop. The suites
    consume promptly.

    Args:
        interval: seconds between two items (and before the first).
        count: how many items to yield; ``0`` yields nothing.
    """
    raise NotImplementedError
    yield  # The `yield` makes this an async generator, as yours will be.


async def take(source: AsyncIterator[T], n: int) -> list[T]:
    """Return the first ``n`` items of ``source``, then close it.

    Returns fewer items if ``source`` ends first. Before returning, closes ``source``
    (``await source.aclose()``; sources are async generators), also when ``n <= 0``
    (then no item is read), so that its cleanup (``finally`` blocks) has run by the
    time ``take`` returns.

    Args:
        source: an async generator.
        n: how many items to take.

    Returns:
        The items, in the order ``source`` gave them.
    """
    raise NotImplementedError


async def merge(*sources: AsyncIterable[T]) -> AsyncIterator[T]:
    """An async generator that yields the items of all ``sources`` as they arrive.

    Items come in the order they arrive, whichever source they come from (the
    sources run concurrently, not one after another), and the merge ends when every
    source has ended. ``merge`` may read ahead of the consumer.

    If the consumer stops early (closes the generator with ``aclose()``), every
    source is closed (``aclose()``) and nothing ``merge`` started (tasks) is left
    running. An exception in a source propagates to the consumer, as it is (not
    wrapped in an ``ExceptionGroup``), after the other sources have been closed.

    The same holds when the consumer's task is cancelled while it waits for an item: the
    pending reads are cancelled and have finished, and every source is closed, before
    the cancellation propagates.

    Args:
        *sources: async iterables (in the suites, async generators).
    """
    raise NotImplementedError
    yield  # The `yield` makes this an async generator, as yours will be.
