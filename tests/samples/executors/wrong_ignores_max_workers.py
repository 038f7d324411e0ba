"""WRONG: checksums ignores max_workers and hands every chunk to asyncio.to_thread.

Violates: "with at most `max_workers` calls running at once". A good grader says: the
loop's default pool runs as many calls as it has threads, whatever max_workers says;
use a ThreadPoolExecutor(max_workers) of your own (or limit the calls yourself).

Fails: test_checksums_runs_max_workers_at_once, test_checksums_goes_beyond_the_default_pool, test_checksums_runs_no_more_than_max_workers
Cause: timing | expected 3 | default pool
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
    return list(await asyncio.gather(
        *(asyncio.to_thread(blocking_checksum, chunk) for chunk in chunks)
    ))
