"""WRONG: take() calls source.aclose() without awaiting it.

Violates: "before returning, closes `source` (`await source.aclose()`) ... so that its
cleanup (`finally` blocks) has run". A good grader says: `aclose()` of an async generator
is a coroutine; called without `await` it does nothing at all (and Python warns that it
was never awaited), so the source's `finally` never runs.

Fails: test_take_returns_the_first_items_and_closes_the_source, test_take_zero_or_negative_reads_nothing_and_still_closes
Cause: leak | without closing | source.aclose()` alone does nothing
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def ticks(interval: float, count: int) -> AsyncIterator[int]:
    for tick in range(count):
        await asyncio.sleep(interval)
        yield tick


async def take(source: AsyncIterator[T], n: int) -> list[T]:
    items: list[T] = []
    if n > 0:
        async for item in source:
            items.append(item)
            if len(items) == n:
                break
    source.aclose()  # type: ignore[unused-coroutine]
    return items


async def merge(*sources: AsyncIterable[T]) -> AsyncIterator[T]:
    iterators = [aiter(source) for source in sources]
    pending: dict[asyncio.Future[T], AsyncIterator[T]] = {
        asyncio.ensure_future(anext(iterator)): iterator for iterator in iterators
    }
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                iterator = pending.pop(future)
                try:
                    item = future.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(anext(iterator))] = iterator
                yield item
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for iterator in iterators:
            await iterator.aclose()
