"""WRONG: checksums runs the chunks in batches of max_workers, waiting for each batch to finish.

Violates: "while there is work, as many as that". A good grader says: one slow call
holds up its whole batch while the other workers sit idle; submit every chunk to the
pool at once and let it hand them to whichever thread is free.

Fails: test_checksums_keeps_the_workers_busy
Cause: timing | although a worker was free | batch
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
        results: list[int] = []
        for start in range(0, len(chunks), max_workers):
            batch = chunks[start:start + max_workers]
            results += await asyncio.gather(
                *(loop.run_in_executor(pool, blocking_checksum, chunk) for chunk in batch)
            )
        return results
    finally:
        # shutdown() joins the threads, which blocks: do it in another thread.
        # cancel_futures drops queued calls if we leave early (error or cancellation).
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
