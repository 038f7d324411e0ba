"""WRONG: checksums calls pool.map(...) in the coroutine and collects its results with list().

Violates: "the loop is never blocked". A good grader says: the work does run in the
pool's threads, but list(pool.map(...)) waits for it on the loop's thread, blocking the
loop until every chunk is done; await the results instead (run_in_executor or
wrap_future, then gather).

Fails: test_checksums_keeps_the_order_of_the_chunks, test_checksums_does_not_block_the_loop, test_checksums_leaves_no_thread_behind
Cause: blocking | pool.map | results
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
    pool = ThreadPoolExecutor(max_workers=max_workers)
    try:
        # map() keeps the order of the chunks.
        return list(pool.map(blocking_checksum, chunks))
    finally:
        # shutdown() joins the threads, which blocks: do it in another thread.
        # cancel_futures drops queued calls if we leave early (error or cancellation).
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
