"""WRONG: merge()'s pump tasks swallow a source's exception and report the source as ended.

Violates: "An exception in a source propagates to the consumer". A good grader says: an
error in a background task must be handed over to the consumer and raised there; `except
Exception: pass` makes a broken source look finished, so the consumer never learns that
the data is incomplete.

Fails: test_merge_raises_a_source_error_after_closing_the_others
Cause: hang | ValueError | swallowed
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")

_ENDED = object()


async def ticks(interval: float, count: int) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    for tick in range(count):
        # Sleep until a fixed deadline, so that small delays do not add up.
        await asyncio.sleep(start + (tick + 1) * interval - loop.time())
        yield tick


async def take(source: AsyncIterator[T], n: int) -> list[T]:
    items: list[T] = []
    try:
        while len(items) < n:
            try:
                items.append(await anext(source))
            except StopAsyncIteration:
                break
    finally:
        await source.aclose()
    return items


async def merge(*sources: AsyncIterable[T]) -> AsyncIterator[T]:
    iterators = [aiter(source) for source in sources]
    # A small queue: a pump that gets ahead waits for the consumer.
    queue: asyncio.Queue[tuple[object, BaseException | None]] = asyncio.Queue(maxsize=1)

    async def pump(iterator: AsyncIterator[T]) -> None:
        try:
            async for item in iterator:
                await queue.put((item, None))
        except Exception:
            pass  # "the source is finished either way"
        await queue.put((_ENDED, None))

    pumps = [asyncio.create_task(pump(iterator)) for iterator in iterators]
    try:
        running = len(pumps)
        while running:
            item, error = await queue.get()
            if error is not None:
                raise error
            if item is _ENDED:
                running -= 1
            else:
                yield item  # type: ignore[misc]
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for iterator in iterators:
            await iterator.aclose()  # type: ignore[attr-defined]
