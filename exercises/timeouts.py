"""Lesson 4: timeouts, giving up in time.

Anything that waits on the outside world can wait forever, so real code puts a
deadline on it. `async with asyncio.timeout(seconds):` cancels the code inside when
the deadline passes and turns that cancellation into a `TimeoutError` at the end of
the block (`asyncio.wait_for(aw, seconds)` does the same for one awaitable).

Cancellation is cooperative: the cancelled code sees `CancelledError` at its current
`await` and may run cleanup (`finally`, `async with`) before it ends. A well-behaved
timeout waits for that cleanup to finish. Never swallow `CancelledError`: it is how
asyncio stops work, and it derives from `BaseException`, not `Exception`, on purpose.

A common partner of timeouts is a retry loop with exponential backoff: wait
`backoff`, then `2 * backoff`, then `4 * backoff`... between attempts, so that a
struggling service gets room to recover.

Read: https://docs.python.org/3/library/asyncio-task.html#timeouts
and https://docs.python.org/3/library/asyncio-task.html#task-cancellation
"""

from __future__ import annotations

import asyncio  # noqa: F401  (you will need it)
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


# The contract fixes the `timeout` parameters (ruff would rather see asyncio.timeout).
async def with_timeout(aw: Awaitable[T], timeout: float, default: T) -> T:  # noqa: ASYNC109
    """Return the result of `aw` if it completes within `timeout` seconds, else `default`.

    On timeout, the work behind `aw` is cancelled and has finished (it has seen
    `CancelledError`, and its cleanup has run) before `with_timeout` returns `default`.
    Any exception `aw` raises before the deadline, its own `TimeoutError` included,
    propagates unchanged: only the expiry of `timeout` gives `default`. It never waits
    longer than needed: a fast `aw` returns at once.

    When the task awaiting it is cancelled (by its caller), `aw` is cancelled and has
    finished (its cleanup has run) before the cancellation propagates: the caller's task
    ends *cancelled*.
    """
    raise NotImplementedError


async def retry(
    op: Callable[[], Awaitable[T]],
    attempts: int,
    timeout: float,  # noqa: ASYNC109
    backoff: float,
) -> T:
    """Call `op()` up to `attempts` times and return the first successful result.

    - Each attempt gets at most `timeout` seconds; then it is cancelled and counts as a
      failure with `TimeoutError`, and it has finished before the backoff starts.
    - A failure is an `Exception`. Anything else (`CancelledError`, `KeyboardInterrupt`)
      propagates at once, without further attempts.
    - After failed attempt number `i` (counting from 0), and only if another attempt
      follows, wait `backoff * 2 ** i` seconds (without blocking the loop).
    - When every attempt fails, raise the last attempt's exception.
    - `attempts < 1` raises `ValueError` (with a message).

    When the task awaiting it is cancelled (by its caller), the attempt in progress (or
    the backoff) is cancelled and has finished before the cancellation propagates: the
    caller's task ends *cancelled*, with no further attempt.
    """
    raise NotImplementedError
