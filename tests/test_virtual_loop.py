"""The loop a virtual-clock scenario runs on keeps its clock behind a thread's work: looptime
steps its fake time in small real steps while an executor future is pending, instead of
leaping to the next timer. The grader hands looptime a set of those futures that forgets
each once done (kit._PendingFutures): cheaper at every turn, and the same answer."""

from __future__ import annotations

import asyncio
import time

from grader._child import kit


def test_a_virtual_clock_waits_for_a_thread_and_forgets_its_future_once_done() -> None:
    loop = kit.virtual_loop(end=3600.0, idle_timeout=2.0)
    pending = getattr(loop, kit._LOOPTIME_FUTURES)
    assert isinstance(pending, kit._PendingFutures)  # looptime still keeps them there

    async def main() -> tuple[float, int, int]:
        start = loop.time()
        work = loop.run_in_executor(None, time.sleep, 0.05)
        watched = len(pending)
        # A timer far ahead: a clock that did not know of the thread would leap to it
        # and time out, though the thread needs 0.05 real seconds.
        await asyncio.wait_for(work, timeout=30.0)
        await asyncio.sleep(0)  # (a done future leaves the set by its callback, a turn later)
        return loop.time() - start, watched, len(pending)

    try:
        elapsed, watched, left = loop.run_until_complete(main())
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    assert watched == 1
    assert elapsed < 30.0
    assert left == 0
