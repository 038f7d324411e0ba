"""CORRECT: run_in_executor(None, ...) for one call; pool.submit wrapped with asyncio.wrap_future."""

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
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, blocking_checksum, data)


async def checksums(chunks: list[bytes], max_workers: int) -> list[int]:
    if max_workers < 1:
        raise ValueError("max_workers must be positive")
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="checksums")
    try:
        # wrap_future() turns the pool's concurrent.futures.Future into an awaitable one.
        pending = [asyncio.wrap_future(pool.submit(blocking_checksum, c)) for c in chunks]
        return list(await asyncio.gather(*pending))
    finally:
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
