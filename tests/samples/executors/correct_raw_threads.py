"""CORRECT: hand-rolled worker threads fed by a queue.SimpleQueue, results via call_soon_threadsafe."""

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


def _settle(fut: asyncio.Future[int], value: int | None, error: BaseException | None) -> None:
    if fut.done():  # gather() was cancelled meanwhile
        return
    if error is None:
        fut.set_result(value)
    else:
        fut.set_exception(error)


async def checksums(chunks: list[bytes], max_workers: int) -> list[int]:
    if max_workers < 1:
        raise ValueError("max_workers < 1")
    loop = asyncio.get_running_loop()
    results = [loop.create_future() for _ in chunks]
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(chunks)):
        work.put(index)

    def worker() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            try:
                value, error = blocking_checksum(chunks[index]), None
            except Exception as exc:
                value, error = None, exc
            # Futures are not thread-safe: settle them on the loop's thread.
            loop.call_soon_threadsafe(_settle, results[index], value, error)

    threads = [threading.Thread(target=worker) for _ in range(min(max_workers, len(chunks)))]
    for thread in threads:
        thread.start()
    try:
        return list(await asyncio.gather(*results))
    finally:
        while True:  # on an early exit, take the work away so the threads stop soon
            try:
                work.get_nowait()
            except queue.Empty:
                break
        for thread in threads:
            await asyncio.to_thread(thread.join)
