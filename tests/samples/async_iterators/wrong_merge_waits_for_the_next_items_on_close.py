"""WRONG: on close, merge waits for the reads in flight without cancelling them.

Violates: "If the consumer stops early (closes the generator), every source is closed
... and nothing merge started is left running", at once: waiting for the reads means
waiting for every source's next item, for ever if a source then waits. A good grader
says: cancel the reads still in flight, then wait for them.

Fails: test_merge_closes_at_once_even_between_items
Cause: timing | aclose() took | cancel the reads
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def ticks(interval: float, count: int) -> AsyncIterator[int]:
    for tick in range(count):
        # Sleep before yielding: the first tick comes `interval` after iteration starts.
        # The generator body only runs while someone is asking for the next item.
        await asyncio.sleep(interval)
        yield tick


async def take(source: AsyncIterator[T], n: int) -> list[T]:
    items: list[T] = []
    # Breaking out of `async for` does not finish a generator: it stays suspended at
    # its `yield` with its `finally` blocks still to run. aclosing() calls
    # `await source.aclose()` on the way out, whatever happens, even for n <= 0.
    async with contextlib.aclosing(source):
        if n <= 0:
            return items
        async for item in source:
            items.append(item)
            if len(items) == n:
                break
    return items


async def merge(*sources: AsyncIterable[T]) -> AsyncIterator[T]:
    iterators = [aiter(source) for source in sources]
    # One pending "next item" task per source still running; merge reads ahead by at
    # most one item per source. (anext() returns an awaitable that is not a coroutine,
    # so it needs ensure_future() rather than create_task().)
    pending: dict[asyncio.Future[T], AsyncIterator[T]] = {
        asyncio.ensure_future(anext(iterator)): iterator for iterator in iterators
    }
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                iterator = pending.pop(future)
                try:
                    item = future.result()  # a source's exception is raised here...
                except StopAsyncIteration:
                    continue  # ...and the end of a source only removes it.
                pending[asyncio.ensure_future(anext(iterator))] = iterator
                yield item
    finally:
        # Reached when every source has ended, when a source raised, and when the
        # consumer closed us early (aclose() raises GeneratorExit at the `yield`).
        # Cancel the reads still in flight and wait for them: a generator cannot be
        # closed while a task is still running it.
        await asyncio.gather(*pending, return_exceptions=True)
        # Then close every source, so that its `finally` blocks run now. (Closing one
        # that has already finished does nothing.)
        for iterator in iterators:
            await iterator.aclose()
