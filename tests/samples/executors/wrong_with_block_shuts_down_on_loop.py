"""WRONG: checksums uses `with ThreadPoolExecutor(...) as pool:`, whose exit joins the threads on the loop.

Violates: "the loop is never blocked" and the convention "A private thread pool is shut
down without blocking the loop (e.g. `await asyncio.to_thread(pool.shutdown)`): joining
threads on the loop thread is blocking, however short". A good grader says: the `with`
block calls pool.shutdown(wait=True) on the loop's thread; shut the pool down from
another thread with `await asyncio.to_thread(pool.shutdown)` in a `finally`.

Fails: test_checksums_keeps_the_order_of_the_chunks, test_checksums_does_not_block_the_loop, test_checksums_leaves_no_thread_behind
Cause: blocking | with ThreadPoolExecutor | shut it down from a thread
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
    loop = asyncio.get_running_loop()
    # gather() keeps the order of its arguments, whatever order they finish in.
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return await asyncio.gather(
            *(loop.run_in_executor(pool, blocking_checksum, chunk) for chunk in chunks)
        )
