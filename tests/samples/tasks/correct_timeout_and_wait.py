"""CORRECT: asyncio.timeout around a shielded task, a plain sleep loop, and an asyncio.wait loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def cancel_after(aw: Awaitable[object], delay: float) -> bool:
    task = asyncio.ensure_future(aw)
    try:
        async with asyncio.timeout(delay) as deadline:
            # shield(): on expiry only our wait is cancelled, not the task itself yet.
            await asyncio.shield(task)
        return False
    except TimeoutError:
        if not deadline.expired():
            raise  # the task's own TimeoutError, raised before the deadline
        task.cancel()
        await asyncio.wait({task})
        return True
    except asyncio.CancelledError:
        task.cancel()  # cancelled by our caller: stop the work, wait for its cleanup
        await asyncio.wait({task})
        raise


async def heartbeat(interval: float, log: list[str]) -> None:
    try:
        while True:
            await asyncio.sleep(interval)
            log.append("beat")
    finally:
        # The loop above only ever ends by cancellation, which propagates after this.
        log.append("stopped")


async def first_completed(factories: list[Callable[[], Awaitable[T]]]) -> T:
    if not factories:
        raise ValueError("factories is empty")
    pending = {asyncio.ensure_future(factory()) for factory in factories}
    last_error: BaseException | None = None
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                last_error = task.exception()
        assert last_error is not None
        raise last_error
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
