"""Public checks for the `async_iterators` exercise: `pytest checks/test_async_iterators.py`.

Timing is measured on the event loop's clock, which looptime makes virtual: sleeping
costs no real time and the numbers come out exact.
"""

import asyncio

import pytest
from _target import exercise

mod = exercise("async_iterators")


async def letters(name: str, interval: float, count: int, log: list[str]):
    """A source for the checks: yields name0, name1, ... every `interval` seconds."""
    try:
        for i in range(count):
            await asyncio.sleep(interval)
            yield f"{name}{i}"
    finally:
        log.append(f"{name} closed")  # runs when the generator ends or is closed


async def forever(name: str, log: list[str]):
    """A source that never ends by itself: only closing it stops it."""
    try:
        i = 0
        while True:
            await asyncio.sleep(1)
            yield f"{name}{i}"
            i += 1
    finally:
        log.append(f"{name} closed")


async def broken(after: float):
    await asyncio.sleep(after)
    raise ValueError("this source broke")
    yield  # makes this an async generator


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_ticks_yields_each_item_one_interval_after_the_last():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    seen = [(tick, loop.time() - t0) async for tick in mod.ticks(0.5, 3)]
    assert seen == [(0, pytest.approx(0.5)), (1, pytest.approx(1.0)), (2, pytest.approx(1.5))], (
        f"ticks(0.5, 3) should yield 0, 1, 2 at 0.5, 1.0 and 1.5 seconds; got (item, time) {seen}"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_take_returns_the_first_items_and_closes_the_source():
    log: list[str] = []
    assert await mod.take(letters("a", 1, 5, log), 2) == ["a0", "a1"], "the first two items"
    assert log == ["a closed"], (
        "take must close the source (await source.aclose()) before returning, so that its"
        " finally blocks have run; breaking out of `async for` does not do it"
    )
    assert await mod.take(letters("b", 1, 2, log), 5) == ["b0", "b1"], "fewer if it ends first"
    untouched = letters("c", 1, 5, log)
    assert await mod.take(untouched, 0) == [], "take(source, 0) is []"
    assert await anext(untouched, "closed") == "closed", "take(source, 0) must close it too"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_merge_yields_items_as_they_arrive():
    loop = asyncio.get_running_loop()
    log: list[str] = []
    t0 = loop.time()
    # a0..a2 come at 1, 2, 3 seconds; b0..b2 at 1.4, 2.8, 4.2 seconds.
    async with asyncio.timeout(60):  # virtual seconds: only a merge that never ends gets here
        merged = mod.merge(letters("a", 1, 3, log), letters("b", 1.4, 3, log))
        items = [item async for item in merged]
    assert items == ["a0", "b0", "a1", "b1", "a2", "b2"], (
        f"items come in the order they arrive, whichever source they come from; got {items}"
    )
    assert loop.time() - t0 == pytest.approx(4.2), (
        "the sources run at the same time: the merge takes as long as the slowest source"
        f" (4.2 s), here it took {loop.time() - t0:.2f} s"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_merge_closes_every_source_when_the_consumer_stops():
    log: list[str] = []
    merged = mod.merge(forever("a", log), forever("b", log))
    first = [await anext(merged) for _ in range(3)]
    assert len(first) == 3
    await merged.aclose()  # the consumer has seen enough
    assert sorted(log) == ["a closed", "b closed"], (
        f"closing the merge must close every source (aclose()); closed so far: {log}"
    )
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    assert others == [], f"nothing merge started may be left running; still running: {others}"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_merge_raises_a_source_error_after_closing_the_others():
    log: list[str] = []
    received = []
    try:
        async with asyncio.timeout(60):  # virtual seconds, spent in no time
            with pytest.raises(ValueError, match="this source broke"):
                async for item in mod.merge(forever("a", log), broken(after=2.5)):
                    received.append(item)
    except TimeoutError:
        pytest.fail("a source raised, but the error never reached the consumer of merge")
    assert received == ["a0", "a1"], f"the items before the error still arrive; got {received}"
    assert log == ["a closed"], (
        "when a source raises, the other sources are closed before the error reaches the"
        f" consumer; closed: {log}"
    )
