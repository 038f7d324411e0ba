"""Public checks for the `executors` exercise: run them with `pytest checks/`.

These checks run on the real clock (work in threads takes no time on looptime's virtual
clock), so they count what happens instead of timing it: `blocking_checksum` is replaced
by an instrumented twin that records which thread runs it and how many calls overlap.
"""

import asyncio
import threading
import time
import zlib

import pytest
from _target import exercise

mod = exercise("executors")


class ChecksumTwin:
    """Stands in for `blocking_checksum`: same result, plus a record of every call.

    It records which thread runs each call and how many calls overlap, and, from the
    worker thread, checks that the event loop still answers while the call runs.
    """

    def __init__(self, expected_overlap=1, hold=0.05, patience=1.0):
        self.loop = asyncio.get_running_loop()
        self.expected_overlap = expected_overlap
        self.hold = hold
        self.give_up_at = time.monotonic() + patience  # bounds every wait below
        self.cond = threading.Condition()
        self.running = 0
        self.peak = 0
        self.threads = []
        self.loop_blocked = 0

    def _patience_left(self):
        return max(0.0, self.give_up_at - time.monotonic())

    def __call__(self, data):
        with self.cond:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.append(threading.current_thread())
            self.cond.notify_all()
            # Threads start at slightly different moments: wait (a bounded time) for
            # the expected number of calls to overlap, so that the peak is reliable.
            self.cond.wait_for(
                lambda: self.running >= self.expected_overlap, timeout=self._patience_left()
            )
        # A free loop runs this callback at once; a blocked loop cannot.
        answered = threading.Event()
        self.loop.call_soon_threadsafe(answered.set)
        if not answered.wait(timeout=max(0.2, self._patience_left())):
            with self.cond:
                self.loop_blocked += 1
        time.sleep(self.hold)
        with self.cond:
            self.running -= 1
        return zlib.crc32(data)


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksum_async_returns_the_checksum():
    assert await mod.checksum_async(b"hello") == zlib.crc32(b"hello"), (
        "checksum_async(data) must return blocking_checksum(data)"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksum_async_runs_the_blocking_call_in_another_thread(monkeypatch):
    twin = ChecksumTwin()
    monkeypatch.setattr(mod, "blocking_checksum", twin)
    assert await mod.checksum_async(b"abc") == zlib.crc32(b"abc")
    assert len(twin.threads) == 1, (
        "checksum_async() must call blocking_checksum once, through the module's global name"
    )
    assert twin.threads[0] is not threading.current_thread(), (
        "blocking_checksum ran on the event loop's thread and blocked the loop: "
        "hand it to a thread (asyncio.to_thread or loop.run_in_executor)"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksums_keeps_the_order_of_the_chunks(monkeypatch):
    chunks = [bytes([i]) * 10 for i in range(5)]
    # The first chunks take longest, so they finish last.
    slow_first = {chunk: 0.02 * (5 - i) for i, chunk in enumerate(chunks)}

    def twin(data):
        time.sleep(slow_first[data])
        return zlib.crc32(data)

    monkeypatch.setattr(mod, "blocking_checksum", twin)
    assert await mod.checksums(chunks, 5) == [zlib.crc32(c) for c in chunks], (
        "results must be in the order of `chunks`, not in the order the calls finish"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksums_runs_max_workers_calls_at_once_and_no_more(monkeypatch):
    twin = ChecksumTwin(expected_overlap=3)
    monkeypatch.setattr(mod, "blocking_checksum", twin)
    chunks = [bytes([i]) for i in range(9)]
    assert await mod.checksums(chunks, 3) == [zlib.crc32(c) for c in chunks]
    assert len(twin.threads) == 9, "blocking_checksum must be called once per chunk"
    assert twin.loop_blocked == 0, (
        "the event loop was blocked while the calls ran: await their results "
        "(no future.result(), no list(pool.map(...)) on the loop's thread)"
    )
    assert twin.peak == 3, (
        f"with max_workers=3, exactly 3 calls must run at once; the peak was {twin.peak}"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksums_goes_beyond_the_default_pool_and_cleans_up(monkeypatch):
    workers = 40  # more threads than the loop's default pool ever has (at most 32)
    twin = ChecksumTwin(expected_overlap=workers)
    monkeypatch.setattr(mod, "blocking_checksum", twin)
    chunks = [bytes([i]) for i in range(workers)]
    assert await mod.checksums(chunks, workers) == [zlib.crc32(c) for c in chunks]
    assert twin.peak == workers, (
        f"with max_workers={workers}, {workers} calls must run at once; the peak was "
        f"{twin.peak} (the loop's default pool is too small: use a pool of your own)"
    )
    # The loop's default executor (threads named "asyncio_N") belongs to the loop.
    leftovers = {t for t in twin.threads if t.is_alive() and not t.name.startswith("asyncio_")}
    assert not leftovers, (
        f"{len(leftovers)} worker threads still alive: shut your pool down before returning "
        "(without blocking the loop: await asyncio.to_thread(pool.shutdown))"
    )


@pytest.mark.asyncio
@pytest.mark.looptime(False)
async def test_checksums_rejects_max_workers_below_one():
    with pytest.raises(ValueError):  # a pool needs at least one worker
        await mod.checksums([b"data"], 0)
