"""Public checks for `thread_bridge`: run them with `pytest checks/test_thread_bridge.py`.

These checks use real threads, so they run on the real clock (`looptime(False)`) and only
check generous time bounds.
"""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from _target import exercise

mod = exercise("thread_bridge")

pytestmark = pytest.mark.looptime(False)


def deliver_later(delay: float, value: object) -> tuple[Callable, list[threading.Thread]]:
    """A `start` function: calls back with `value` from a new thread after `delay` s."""
    threads: list[threading.Thread] = []

    def start(callback: Callable[[object], None]) -> None:
        def run() -> None:
            time.sleep(delay)
            callback(value)

        thread = threading.Thread(target=run)
        threads.append(thread)
        thread.start()

    return start, threads


@pytest.mark.asyncio
async def test_result_from_thread_returns_the_value_promptly() -> None:
    start, threads = deliver_later(0.05, "from the thread")
    t0 = time.monotonic()
    try:
        value = await asyncio.wait_for(mod.result_from_thread(start), timeout=2)
    except TimeoutError:
        pytest.fail(
            "the thread called back after 0.05 s, but result_from_thread was still waiting "
            "2 s later: was the loop woken up? (use loop.call_soon_threadsafe, "
            "not future.set_result, from the thread)"
        )
    finally:
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - t0

    assert len(threads) == 1, "start(callback) must be called exactly once"
    assert value == "from the thread", f"expected the value the thread delivered, got {value!r}"
    assert elapsed < 0.8, (
        f"the thread delivered after 0.05 s but the value arrived after {elapsed:.2f} s: "
        "was the loop woken up? (use loop.call_soon_threadsafe, not future.set_result)"
    )


@pytest.mark.asyncio
async def test_result_from_thread_keeps_the_loop_free() -> None:
    start, threads = deliver_later(0.3, 42)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        value = await asyncio.wait_for(mod.result_from_thread(start), timeout=5)
    finally:
        ticking.cancel()
        for thread in threads:
            thread.join()

    assert value == 42
    assert ticks >= 5, (
        f"another task ticked only {ticks} times in 0.3 s while result_from_thread waited: "
        "the loop was blocked (a blocking get()/wait() on the loop's thread?)"
    )


@pytest.fixture
def loop_in_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running forever in a background thread, stopped afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_call_async_from_thread_runs_fn_on_that_loop(loop_in_thread) -> None:
    seen: dict[str, object] = {}

    async def fn(a: int, b: int) -> int:
        seen["loop"] = asyncio.get_running_loop()
        await asyncio.sleep(0.01)
        return a + b

    result = mod.call_async_from_thread(loop_in_thread, fn, 2, 3, timeout=5)

    assert result == 5, f"expected fn(2, 3) == 5, got {result!r}"
    assert seen.get("loop") is loop_in_thread, (
        "fn must run on the loop it was given, not on a new loop of the calling thread"
    )


def test_call_async_from_thread_propagates_exceptions(loop_in_thread) -> None:
    async def fails(exc: Exception) -> None:
        await asyncio.sleep(0)
        raise exc

    with pytest.raises(ValueError, match="fn failed"):
        mod.call_async_from_thread(loop_in_thread, fails, ValueError("fn failed"), timeout=5)

    # fn's own TimeoutError is fn's exception, not the deadline: it must come through as is.
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="fn's own timeout"):
        own_timeout = TimeoutError("fn's own timeout")
        mod.call_async_from_thread(loop_in_thread, fails, own_timeout, timeout=5)
    assert time.monotonic() - t0 < 1.0, "fn raised at once; the caller must not wait for timeout"


def test_call_async_from_thread_times_out_and_cancels(loop_in_thread) -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        mod.call_async_from_thread(loop_in_thread, slow, timeout=0.1)
    elapsed = time.monotonic() - t0

    assert elapsed < 1.0, f"timeout=0.1 but the call took {elapsed:.2f} s"
    assert cancelled.wait(1.0), (
        "after the timeout the coroutine must be cancelled on the loop; it never saw CancelledError"
    )
