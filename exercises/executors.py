"""Executors: handing blocking work to a thread pool.

An event loop runs everything on one thread, so a blocking call (``time.sleep``, a
legacy library, file I/O, ``requests``) freezes *every* coroutine until it returns.
When you cannot rewrite such a call, hand it to another thread and await its result:
``asyncio.to_thread(fn, *args)`` uses the loop's default thread pool, and
``loop.run_in_executor(pool, fn, *args)`` uses a pool of your own, e.g. a
``concurrent.futures.ThreadPoolExecutor(max_workers=n)``. The loop stays free while
the threads work.

The default pool is shared and small (``min(32, os.cpu_count() + 4)`` threads). A pool
of your own is yours to shut down, and shutting it down joins its threads, which
blocks: do it off the loop, e.g. ``await asyncio.to_thread(pool.shutdown)``.

Read: https://docs.python.org/3/library/asyncio-eventloop.html#executing-code-in-thread-or-process-pools
and https://docs.python.org/3/library/asyncio-task.html#running-in-threads
"""

from __future__ import annotations

import asyncio  # noqa: F401 (you will need it)
import time
import zlib
from concurrent.futures import ThreadPoolExecutor  # noqa: F401 (you may need it)


def blocking_checksum(data: bytes) -> int:
    """Given: a slow, blocking checksum (it stands for a legacy library call).

    Call it through this module's global name, ``blocking_checksum(...)``, so that a
    test can replace it with an instrumented twin.
    """
    time.sleep(0.05)
    return zlib.crc32(data)


async def checksum_async(data: bytes) -> int:
    """Return ``blocking_checksum(data)`` without blocking the loop.

    ``blocking_checksum`` blocks, so it must run in another thread. Call it through the
    module's global name ``blocking_checksum`` (the checks replace it with an
    instrumented twin).
    """
    raise NotImplementedError


async def checksums(chunks: list[bytes], max_workers: int) -> list[int]:
    """Return ``[blocking_checksum(chunk) for chunk in chunks]``, computed in threads.

    - At most ``max_workers`` calls run at once and, while there is work, as many as
      that, whatever ``max_workers`` is (also above the size of the loop's default
      pool).
    - Results are in the order of ``chunks``, whatever order the calls finish in.
    - The loop is never blocked; any pool you create is shut down before you return,
      without blocking the loop (no thread is left behind).
    - Call ``blocking_checksum`` through the module's global name.

    Raises ``ValueError`` (with a message) if ``max_workers < 1``.
    """
    raise NotImplementedError
