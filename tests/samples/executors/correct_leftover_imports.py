"""CORRECT: the reference answer, with an import left over from an earlier attempt
(ProcessPoolExecutor, which concurrent.futures binds lazily, on first use) and a submodule
of a package the grader watches imported while a call runs (json.tool): names added to
the standard library's modules are not tampering."""

from __future__ import annotations

import asyncio
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor  # noqa: F401


def blocking_checksum(data: bytes) -> int:
    """Given: a slow, blocking checksum (it stands for a legacy library call).

    Call it through this module's global name, ``blocking_checksum(...)``, so that a
    test can replace it with an instrumented twin.
    """
    time.sleep(0.05)
    return zlib.crc32(data)


async def checksum_async(data: bytes) -> int:
    import json.tool  # noqa: F401  (left over from printing results while debugging)

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
        # gather() keeps the order of its arguments, whatever order they finish in.
        return await asyncio.gather(
            *(loop.run_in_executor(pool, blocking_checksum, chunk) for chunk in chunks)
        )
    finally:
        # shutdown() joins the threads, which blocks: do it in another thread.
        # cancel_futures drops queued calls if we leave early (error or cancellation).
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
