"""WRONG: merge() exhausts the first source, then the second, and so on.

Violates: "yields the items of all sources as they arrive, whichever source they come
from". A good grader says: iterating the sources in turn is chaining, not merging: the
items come in the wrong order and the total time is the sum of the sources instead of
the slowest one; wait on all the sources at once (a task per source).

Fails: test_merge_yields_items_as_they_arrive, test_merge_runs_sources_together_and_ends_when_all_have_ended, test_merge_closes_every_source_when_the_consumer_stops, test_merge_raises_a_source_error_after_closing_the_others
Cause: timing | one after another
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
    try:
        for iterator in iterators:
            async for item in iterator:
                yield item
    finally:
        for iterator in iterators:
            await iterator.aclose()
