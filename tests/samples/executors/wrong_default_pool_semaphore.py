"""WRONG: checksums limits asyncio.to_thread calls with a Semaphore, i.e. uses the loop's default pool.

Violates: "as many as that, whatever `max_workers` is (also above the size of the loop's
default pool)". A good grader says: the semaphore caps concurrency from above, but the
default executor has only min(32, cpus + 4) threads, so with a larger max_workers the
calls queue up there; create a ThreadPoolExecutor(max_workers) of your own.

Fails: test_checksums_goes_beyond_the_default_pool
Cause: timing | default pool | ThreadPoolExecutor(max_workers=max_workers)
"""

from __future__ import annotations

import asyncio
import time
import zlib


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
    # A semaphore keeps at most `max_workers` calls in flight.
    limit = asyncio.Semaphore(max_workers)

    async def one(chunk: bytes) -> int:
        async with limit:
            return await asyncio.to_thread(blocking_checksum, chunk)

    return list(await asyncio.gather(*(one(chunk) for chunk in chunks)))
