"""WRONG: checksums awaits each chunk's thread call before starting the next one.

Violates: "with at most `max_workers` calls running at once and, while there is work, as
many as that". A good grader says: awaiting inside the loop runs the calls one after
another (len(chunks) x the time of one call); submit them all, then gather the results.

Fails: test_checksums_runs_max_workers_at_once, test_checksums_goes_beyond_the_default_pool, test_checksums_keeps_the_workers_busy
Cause: timing | at most 1 | one after another
"""

from __future__ import annotations

import asyncio
import time
import zlib
from concurrent.futures import ThreadPoolExecutor


def blocking_checksum(data: bytes) -> int:
    """Given: a slow, blocking checksum (it stands for a legacy library call).

    Call it through this module's global name, ``blocking_checksum(...)``, so that a
    test can replace it with an instrumented twin.
    """
    time.sleep(0.05)
    return zlib.crc32(data)


async def checksum_async(data: bytes) -> int:
    # to_thread() runs the call in the loop's default executor; the loop stays free
    # while the thread sleeps. The name is looked up at call time, so a test can
    # replace blocking_checksum.
    return await asyncio.to_thread(blocking_checksum, data)


async def checksums(chunks: list[bytes], max_workers: int) -> list[int]:
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    # The default executor is shared and small (min(32, cpus + 4) threads): a pool of
    # our own gives exactly `max_workers` threads, no fewer and no more.
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=max_workers)
    try:
        results = []
        for chunk in chunks:
            results.append(await loop.run_in_executor(pool, blocking_checksum, chunk))
        return results
    finally:
        # shutdown() joins the threads, which blocks: do it in another thread.
        # cancel_futures drops queued calls if we leave early (error or cancellation).
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
