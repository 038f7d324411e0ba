"""Public checks for `queues`: run them with `pytest checks/test_queues.py`."""

import asyncio

import pytest
from _target import exercise

mod = exercise("queues")


def leftover_tasks() -> set[asyncio.Task]:
    """Tasks of this loop still running, other than the test itself."""
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_results_in_order_and_free_workers_take_the_next_item() -> None:
    async def handle(seconds: int) -> str:
        await asyncio.sleep(seconds)
        return f"slept {seconds}"

    # Two workers: one takes the 3 s item, the other the 1 s and then the 2 s item.
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    results = await mod.process_all([3, 1, 2], handle, workers=2)
    elapsed = loop.time() - t0

    assert results == ["slept 3", "slept 1", "slept 2"], (
        f"results must be in the order of items, not of completion: got {results}"
    )
    assert elapsed == pytest.approx(3.0), (
        f"took {elapsed:.2f} s, not 3 s: a free worker must take the next item at once"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_exactly_workers_tasks_and_calls_at_once() -> None:
    running = peak = 0
    tasks_seen: set[asyncio.Task] = set()

    async def handle(x: int) -> int:
        nonlocal running, peak
        tasks_seen.add(asyncio.current_task())
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(1)
        running -= 1
        return -x

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    results = await mod.process_all(list(range(10)), handle, workers=3)
    elapsed = loop.time() - t0

    assert results == [-x for x in range(10)]
    assert peak == 3, f"workers=3 means 3 calls at once (no more, no fewer), saw {peak}"
    assert len(tasks_seen) <= 3, (
        f"handle ran in {len(tasks_seen)} different tasks: 3 workers should serve all "
        "items (not one task per item)"
    )
    assert elapsed == pytest.approx(4.0), f"10 items of 1 s, 3 at a time: 4 s, not {elapsed}"
    left = leftover_tasks()
    assert not left, f"worker tasks still running after process_all returned: {left}"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_a_failure_cancels_the_rest_and_propagates() -> None:
    running: set[str] = set()
    cancelled: set[str] = set()

    async def handle(name: str) -> str:
        running.add(name)
        try:
            if name == "bad":
                await asyncio.sleep(1)
                raise LookupError("bad item")
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.add(name)
            raise
        finally:
            running.discard(name)
        return name

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(LookupError, match="bad item"):
        try:
            async with asyncio.timeout(60):
                await mod.process_all(["bad", "x", "y", "z"], handle, workers=3)
        except ExceptionGroup as group:
            pytest.fail(f"handle's exception must propagate as it is, got {group!r}")
        except TimeoutError:
            pytest.fail(
                "process_all still hung 60 s after handle raised (a queue.join() waiting "
                "for an item that a dead worker never marked done?)"
            )
    elapsed = loop.time() - t0

    assert elapsed == pytest.approx(1.0), f"the failure must propagate at once, not after {elapsed}"
    assert {"x", "y"} <= cancelled, (
        f"'x' and 'y' were running when 'bad' failed, so they must be cancelled: {cancelled}"
    )
    assert not running, f"calls still running after process_all raised: {sorted(running)}"
    left = leftover_tasks()
    assert not left, f"tasks still running after the failure: {left}"


@pytest.mark.asyncio
async def test_rejects_fewer_than_one_worker() -> None:
    async def handle(x: int) -> int:
        return x

    with pytest.raises(ValueError):
        await mod.process_all([1, 2, 3], handle, workers=0)
