"""Public checks for lesson 4, `timeouts`. Run: pytest checks/test_timeouts.py

Timing runs on a virtual clock (looptime): sleeps take no real time, and the loop's
clock advances exactly as far as the code makes it wait.
"""

import asyncio
import contextlib
import inspect

import pytest
from _target import exercise

mod = exercise("timeouts")


@contextlib.contextmanager
def closing_if_unstarted(coro):
    """Hand `coro` to the test; if the code under test never started it, close it, so a
    failure is reported without an extra "coroutine was never awaited" warning."""
    try:
        yield coro
    finally:
        if inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_fast_work_returns_its_result_at_once():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with closing_if_unstarted(asyncio.sleep(1.0, result="done")) as work:
        result = await mod.with_timeout(work, 5.0, "default")
    elapsed = loop.time() - t0
    assert result == "done", f"the work finished in time, so expected 'done', got {result!r}"
    assert elapsed == pytest.approx(1.0), (
        f"took {elapsed:.3f} s; the work took 1.0 s: return as soon as it is done, "
        "do not wait out the timeout"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_slow_work_is_cancelled_and_gives_the_default():
    events = []

    async def slow():
        try:
            await asyncio.sleep(100)
            return "too late"
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with closing_if_unstarted(slow()) as work:
        result = await mod.with_timeout(work, 2.0, "default")
    elapsed = loop.time() - t0
    assert result == "default", f"expected the default after the timeout, got {result!r}"
    assert elapsed == pytest.approx(2.0), f"took {elapsed:.3f} s; expected the timeout, 2.0 s"
    assert events == ["cancelled"], (
        "when with_timeout returns, the slow work must already have been cancelled and "
        "have seen CancelledError (do not leave it running, and wait for its cleanup)"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_own_timeout_error_propagates():
    async def gives_up():
        await asyncio.sleep(0.5)
        raise TimeoutError("the work's own timeout")

    with closing_if_unstarted(gives_up()) as work, pytest.raises(TimeoutError, match="own"):
        await mod.with_timeout(work, 5.0, "default")
        pytest.fail(
            "an exception raised by the work before the deadline must propagate; only the "
            "expiry of with_timeout's own deadline gives the default"
        )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_retry_backs_off_exponentially():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    calls = []

    async def flaky():
        calls.append(loop.time() - t0)
        if len(calls) < 3:
            raise ConnectionError("not yet")
        return "ok"

    result = await mod.retry(flaky, attempts=5, timeout=10.0, backoff=1.0)
    assert result == "ok", f"the third attempt succeeds: expected 'ok', got {result!r}"
    assert calls == [pytest.approx(0.0), pytest.approx(1.0), pytest.approx(3.0)], (
        f"attempts started at {calls}; expected [0, 1, 3]: after failed attempt i "
        "(from 0) wait backoff * 2 ** i, that is 1 s then 2 s"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_retry_cancels_an_attempt_that_takes_too_long():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    events = []

    async def first_hangs():
        events.append(f"start {loop.time() - t0:g}")
        if len(events) == 1:
            try:
                await asyncio.sleep(100)
            except asyncio.CancelledError:
                events.append(f"cancelled {loop.time() - t0:g}")
                raise
        return "ok"

    result = await mod.retry(first_hangs, attempts=2, timeout=2.0, backoff=0.5)
    assert result == "ok", f"the second attempt succeeds: expected 'ok', got {result!r}"
    assert events == ["start 0", "cancelled 2", "start 2.5"], (
        f"got {events}: the first attempt must be cancelled after timeout=2 s, and the "
        "second start after a backoff of 0.5 s"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_retry_gives_up_with_the_last_exception():
    errors = [ValueError("first"), ValueError("second"), ValueError("last")]
    calls = []

    async def always_fails():
        calls.append(None)
        raise errors[len(calls) - 1]

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(ValueError) as caught:
        await mod.retry(always_fails, attempts=3, timeout=1.0, backoff=1.0)
    elapsed = loop.time() - t0
    assert caught.value is errors[-1], (
        f"expected the last attempt's exception, got {caught.value!r}"
    )
    assert len(calls) == 3, f"expected exactly 3 attempts, saw {len(calls)}"
    assert elapsed == pytest.approx(3.0), (
        f"took {elapsed:.3f} s; expected 1 + 2 = 3.0 s: no backoff after the last attempt"
    )
    with pytest.raises(ValueError):
        await mod.retry(always_fails, attempts=0, timeout=1.0, backoff=1.0)
        pytest.fail("attempts < 1 must raise ValueError")
