"""WRONG: merge() runs one pump per source in a TaskGroup, so a source's error reaches the consumer wrapped in an ExceptionGroup.

Violates: "An exception in a source propagates to the consumer" (as it is, not wrapped in
an ExceptionGroup). A good grader says: a TaskGroup gathers the errors of its tasks into
an ExceptionGroup, so `except ValueError` in the consumer never matches; hand the
source's exception to the consumer and raise that very object.

Fails: test_merge_raises_a_source_error_after_closing_the_others
Cause: wrong | ExceptionGroup | TaskGroup
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

T = TypeVar("T")

_ENDED = object()


async def ticks(interval: float, count: int) -> AsyncIterator[int]:
    for tick in range(count):
        await asyncio.sleep(interval)
        yield tick


async def take(source: AsyncIterator[T], n: int) -> list[T]:
    items: list[T] = []
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
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def pump(iterator: AsyncIterator[T]) -> None:
        async for item in iterator:
            await queue.put(item)
        await queue.put(_ENDED)

    async def consume_into_queue() -> None:
        # The pumps' errors come out of the TaskGroup as an ExceptionGroup.
        async with asyncio.TaskGroup() as group:
            for iterator in iterators:
                group.create_task(pump(iterator))

    runner = asyncio.create_task(consume_into_queue())
    try:
        running = len(iterators)
        while running:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                await asyncio.gather(getter, return_exceptions=True)
                runner.result()  # raises the ExceptionGroup
                continue
            item = getter.result()
            if item is _ENDED:
                running -= 1
            else:
                yield item  # type: ignore[misc]
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        for iterator in iterators:
            await iterator.aclose()  # type: ignore[attr-defined]
