"""Scenarios for ``executors``: real threads, so the real clock.

``blocking_checksum`` is replaced by a thread-safe twin that really sleeps (it stands for
blocking work), returns ``zlib.crc32`` like the original, counts the calls running at
once (``Tracker``) and records which thread ran each call and when. Concurrency is
proven by those counts, not by timing: the twin may hold each call back (bounded) until
the number of calls the contract asks for are running together, so that a slow machine
cannot hide them. A ticker task on the loop measures the longest time the loop went
without running anything, which stays tiny unless the loop is blocked.

Holds are upper bounds wherever the test allows: a call told to wait for the loop holds
only until the ticker has turned a few times since the call began (a free loop turns
every few milliseconds, a blocked one not at all, so only a blocked loop makes the call
last its whole hold); a call told to wait for the others holds only until every other
call has started. Right answers finish as soon as the observation is complete; only
wrong ones pay the holds.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from grader._child.kit import Result, Tracker, scenario

TICK = 0.005  # the ticker's sleep: real seconds
BOUND = 3.0  # real seconds a call may take before the scenario gives up on it
HOLD = 0.02  # real seconds a call of the twin sleeps, unless told otherwise
TURNS = 3  # ticker turns that show the loop free while a call waits for the loop


class Ticker:
    """A task on the loop that notes the longest gap between two of its turns, counting
    from its creation to the moment ``stop()`` is called (so a loop blocked before the
    ticker's first turn, or after its last one, is seen too)."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.ticks = 0
        self.last = time.perf_counter()

    def _turn(self) -> None:
        t = time.perf_counter()
        self.max_gap = max(self.max_gap, t - self.last)
        self.last = t

    async def run(self) -> None:
        self._turn()
        while True:
            await asyncio.sleep(TICK)
            self.ticks += 1
            self._turn()

    def stop(self) -> None:
        self._turn()


class CallRecord(Result):
    """One call of the twin."""

    chunk: int | None  # which chunk it was given (None: bytes that are no chunk of ours)
    thread: str  # the name of the thread it ran on
    on_loop: bool  # it ran on the event loop's own thread
    start: float  # real seconds since the scenario began
    end: float | None = None  # real seconds since the scenario began; None while it runs


class Checksummed(Result):
    """How the student's call went, and every call of the twin."""

    hung: bool  # not done BOUND real seconds after the call (and then cancelled)
    took: float  # real seconds until it returned (or was given up)
    returned: Any  # None when hung
    max_gap: float | None  # longest real time the loop went without a turn (None: hung)
    ticks: int | None  # turns the ticker got (None: hung)
    left_running: list[str]  # threads that ran a call, still alive when it returned
    calls: int  # calls of the twin
    most_at_once: int  # calls of the twin running at once, at most
    records: list[CallRecord]
    threads: list[str]  # names of the threads that ran calls, sorted
    on_loop: bool  # some call ran on the event loop's own thread
    expected: int | list[int]  # what blocking_checksum gives: for the data, or per chunk


class ChecksumTwin:
    """Stands in for ``blocking_checksum``: same result, plus a record of every call.

    ``holds[i]`` is how long (real seconds) the call for chunk ``i`` sleeps. With
    ``together`` set, each call first waits until ``together`` calls are running, or every
    call has started, or ``patience`` has run out since the scenario began (so every wait
    is bounded). With ``until_turns``, every call (in a thread) holds only until the
    loop's ticker has turned that many times since it began, at most its hold; the call
    for chunk ``wait_for_others`` holds only until every other call has started, at most
    its hold."""

    def __init__(self, chunks: list[bytes], holds: list[float], together: int | None,
                 patience: float, until_turns: int | None = None,
                 wait_for_others: int | None = None) -> None:
        self.index = {chunk: i for i, chunk in enumerate(chunks)}
        self.holds, self.together, self.total = holds, together, len(chunks)
        self.until_turns, self.wait_for_others = until_turns, wait_for_others
        self.ticker: Ticker | None = None  # set by _watched before the student's call
        self.loop_thread = threading.get_ident()
        self.t0 = time.perf_counter()
        self.deadline = time.monotonic() + patience
        self.tracker = Tracker()
        self.cond = threading.Condition()
        self.records: list[CallRecord] = []
        self.threads: dict[int, threading.Thread] = {}  # every thread that ran a call
        # The pools those threads belong to, kept alive: a pool nobody shuts down then
        # keeps its threads, instead of their ending whenever the garbage collector
        # happens to collect the pool.
        self.pools: dict[int, ThreadPoolExecutor] = {}
        self.fn = self.tracker.wrap_sync(self._checksum)
        self.fn.__name__ = self.fn.__qualname__ = "blocking_checksum"

    def _note_thread(self) -> None:
        thread = threading.current_thread()
        self.threads[thread.ident or 0] = thread
        args = getattr(thread, "_args", ())  # a ThreadPoolExecutor worker: (weakref to pool, ...)
        if args and isinstance(args[0], weakref.ref):
            pool = args[0]()
            if isinstance(pool, ThreadPoolExecutor):
                self.pools[id(pool)] = pool

    def left_running(self, loop: asyncio.AbstractEventLoop) -> list[str]:
        """Threads that ran a call and are still alive, except the loop's default pool's."""
        default = getattr(loop, "_default_executor", None)
        owned = set(getattr(default, "_threads", ()))
        return sorted(t.name for t in self.threads.values() if t.is_alive() and t not in owned)

    async def release_pools(self, loop: asyncio.AbstractEventLoop) -> None:
        """Shut down (off the loop) the pools kept alive, except the loop's default one."""
        default = getattr(loop, "_default_executor", None)
        for pool in list(self.pools.values()):
            if pool is not default:
                await asyncio.wait_for(
                    asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True), BOUND)
        self.pools.clear()

    def _checksum(self, data: bytes) -> int:
        i = self.index.get(data)
        record = CallRecord(chunk=i, thread=threading.current_thread().name,
                            on_loop=threading.get_ident() == self.loop_thread,
                            start=round(time.perf_counter() - self.t0, 4))
        self.records.append(record)
        hold = self.holds[i] if i is not None else 0.05
        if not record.on_loop:
            self._note_thread()
        if record.on_loop:
            # Called on the loop's thread: blocking. Blockbuster turns this sleep into a
            # BlockingError at the student's call; no barrier here, it would block too.
            time.sleep(hold)
        else:
            with self.cond:
                self.cond.notify_all()
                if self.together:
                    self.cond.wait_for(
                        lambda: self.tracker.running >= self.together  # type: ignore[operator]
                        or len(self.tracker.calls) >= self.total,
                        timeout=max(0.0, self.deadline - time.monotonic()))
                if i is not None and i == self.wait_for_others:
                    # Every other call's record (with its start) is in before this one ends.
                    self.cond.wait_for(lambda: len(self.records) >= self.total, timeout=hold)
                    hold = 0.0
            if self.until_turns is not None and self.ticker is not None:
                self._hold_until_the_loop_turns(self.ticker, self.until_turns, hold)
            else:
                time.sleep(hold)
        record.end = round(time.perf_counter() - self.t0, 4)
        return zlib.crc32(data)

    @staticmethod
    def _hold_until_the_loop_turns(ticker: Ticker, turns: int, hold: float) -> None:
        """Sleep until the loop's ticker has turned ``turns`` times, at most ``hold``."""
        target, end = ticker.ticks + turns, time.monotonic() + hold
        while ticker.ticks < target and time.monotonic() < end:
            time.sleep(min(TICK / 2, max(0.0, end - time.monotonic())))


async def _watched(call: Any, twin: ChecksumTwin, expected: int | list[int]) -> Checksummed:
    """Await the student's call with a ticker running beside it; bounded."""
    loop = asyncio.get_running_loop()
    ticker = Ticker()
    twin.ticker = ticker
    tick_task = asyncio.create_task(ticker.run())
    t0 = time.perf_counter()
    left: list[str] = []
    try:
        async with asyncio.timeout(BOUND) as deadline:
            returned = await call
            left = twin.left_running(loop)  # at once: before the loop runs anything else
            ticker.stop()
    except TimeoutError:
        if not deadline.expired():
            raise  # the student's own TimeoutError: theirs to explain
        return _report(twin, expected, hung=True, took=round(time.perf_counter() - t0, 3))
    finally:
        tick_task.cancel()
        await asyncio.wait({tick_task}, timeout=1.0)
        await twin.release_pools(loop)
    return _report(twin, expected, hung=False, returned=returned,
                   took=round(time.perf_counter() - t0, 3), max_gap=round(ticker.max_gap, 4),
                   ticks=ticker.ticks, left_running=left)


def _chunks(n: int) -> list[bytes]:
    return [f"chunk {i};".encode() * (i + 1) for i in range(n)]


def _report(twin: ChecksumTwin, expected: int | list[int], *, hung: bool, took: float,
            returned: Any = None, max_gap: float | None = None, ticks: int | None = None,
            left_running: list[str] | None = None) -> Checksummed:
    return Checksummed(
        hung=hung, took=took, returned=returned, max_gap=max_gap, ticks=ticks,
        left_running=left_running or [], calls=len(twin.records),
        most_at_once=twin.tracker.most, records=twin.records,
        threads=sorted({r.thread for r in twin.records}),
        on_loop=any(r.on_loop for r in twin.records), expected=expected)


@scenario("real")
async def checksum_async(mod: Any, text: str, hold: float = HOLD) -> Checksummed:
    data = text.encode()
    twin = ChecksumTwin([data], [hold], None, 0.0)
    mod.blocking_checksum = twin.fn
    return await _watched(mod.checksum_async(data), twin, zlib.crc32(data))


@scenario("real")
async def checksums(mod: Any, n: int, max_workers: int, hold: float | list[float] = HOLD,
                    together: int | None = None, patience: float = 0.8,
                    until_turns: int | None = None,
                    wait_for_others: int | None = None) -> Checksummed:
    chunks = _chunks(n)
    holds = hold if isinstance(hold, list) else [hold] * n
    twin = ChecksumTwin(chunks, holds, together, patience, until_turns, wait_for_others)
    mod.blocking_checksum = twin.fn
    return await _watched(mod.checksums(chunks, max_workers), twin,
                          [zlib.crc32(c) for c in chunks])
