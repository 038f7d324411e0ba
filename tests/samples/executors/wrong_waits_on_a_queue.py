"""WRONG: checksums starts worker threads, then collects their results with a blocking queue.get().

Violates: "the loop is never blocked". A good grader says: the work runs in threads, but
the loop's own thread sits in `results.get()` until every chunk is done, so no other
coroutine runs meanwhile; hand each result back to the loop instead (run_in_executor,
asyncio.wrap_future or loop.call_soon_threadsafe) and await it.

Fails: test_checksums_does_not_block_the_loop
Cause: blocking | waiting for the results on its own thread
"""

from __future__ import annotations

import asyncio
import queue
import threading
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
    return await asyncio.to_thread(blocking_checksum, data)


async def checksums(chunks: list[bytes], max_workers: int) -> list[int]:
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    results: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
    for index in range(len(chunks)):
        work.put(index)

    def worker() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            results.put((index, blocking_checksum(chunks[index])))

    threads = [threading.Thread(target=worker) for _ in range(min(max_workers, len(chunks)))]
    for thread in threads:
        thread.start()
    found = dict(results.get() for _ in chunks)  # waits on the loop's thread
    for thread in threads:
        await asyncio.to_thread(thread.join)
    return [found[i] for i in range(len(chunks))]
