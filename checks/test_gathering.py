"""Public checks for lesson 2, `gathering`. Run: pytest checks/test_gathering.py

Timing runs on a virtual clock (looptime): sleeps take no real time, and the loop's
clock advances exactly as far as the code under test makes it wait.
"""

import asyncio

import pytest
from _target import exercise

mod = exercise("gathering")


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_slow_square_waits_then_squares():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await mod.slow_square(3, 2.0) == 9, "slow_square(3, ...) should return 9"
    elapsed = loop.time() - t0
    assert elapsed == pytest.approx(2.0), (
        f"slow_square(3, 2.0) took {elapsed:.3f} s of loop time; expected 2.0 s. "
        "Use `await asyncio.sleep(delay)`: time.sleep blocks the loop instead of waiting on it"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_squares_run_concurrently():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await mod.squares_concurrently([1, 2, 3, 4, 5], 1.0)
    elapsed = loop.time() - t0
    assert result == [1, 4, 9, 16, 25], f"wrong squares: {result}"
    assert elapsed == pytest.approx(1.0), (
        f"5 calls of slow_square(x, 1.0) took {elapsed:.3f} s; expected 1.0 s. "
        "Awaiting them one after another takes 5 s: start them all, then wait for all"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_squares_keep_the_order_of_xs(monkeypatch):
    async def twin(x, delay):
        # The first items finish last: results must still follow the order of xs.
        await asyncio.sleep(delay * (10 - x) / 10)
        return x * x

    monkeypatch.setattr(mod, "slow_square", twin)
    result = await mod.squares_concurrently([1, 2, 3], 1.0)
    assert result == [1, 4, 9], (
        f"got {result}: results must be in the order of xs, not in the order they finished "
        "(and squares_concurrently must call slow_square through the module's name)"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_empty_list_returns_at_once():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await mod.squares_concurrently([], 5.0) == [], "[] should give []"
    assert loop.time() - t0 == pytest.approx(0.0), "with nothing to compute, do not wait"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_gather_settled_reports_every_outcome():
    boom = ValueError("boom")
    finished = []

    async def succeed(value, delay):
        await asyncio.sleep(delay)
        finished.append(value)
        return value

    async def fail(delay):
        await asyncio.sleep(delay)
        raise boom

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    result = await mod.gather_settled(
        [lambda: succeed("a", 1.0), lambda: fail(0.5), lambda: succeed("c", 3.0)]
    )
    elapsed = loop.time() - t0
    assert result == [("ok", "a"), ("error", boom), ("ok", "c")], (
        f"got {result}: expected one ('ok', value) or ('error', exc) per factory, in order"
    )
    assert result[1][1] is boom, "the 'error' entry must hold the exception that was raised"
    assert finished == ["a", "c"], "a failure must not cancel the other awaitables"
    assert elapsed == pytest.approx(3.0), (
        f"took {elapsed:.3f} s; expected 3.0 s, the time of the slowest one, run concurrently"
    )
