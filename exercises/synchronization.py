"""Shared state across `await`: locks and semaphores.

An event loop runs one task at a time, so code between two `await`s never races and
needs no thread lock. But every `await` is a point where other tasks run: if you
read shared state, await something, then write it back, another task may have
changed it in between, and its update is lost. `asyncio.Lock` makes such a
read-await-write section exclusive; `asyncio.Semaphore(n)` lets at most `n` tasks
into a section at once, which is how you bound concurrency.

asyncio's primitives are not thread-safe and must never be replaced by
`threading.Lock`: waiting on a thread lock blocks the whole loop.

Read: https://docs.python.org/3/library/asyncio-sync.html
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Account:
    """A bank account whose balance is written through slow I/O.

    ``Account(balance=0)``; the attribute ``balance: int`` and ``_sync`` are given.
    """

    def __init__(self, balance: int = 0) -> None:
        self.balance = balance

    async def _sync(self) -> None:
        """Stands for I/O (writing the balance to a database): it yields to the loop."""
        await asyncio.sleep(0)

    async def deposit(self, amount: int) -> int:
        """Add ``amount`` to the balance and return the new balance.

        Reads ``balance``, awaits ``self._sync()``, then stores ``balance + amount``
        and returns the new balance (keep these three steps, in this order).

        Any number of concurrent deposits on one account lose nothing: after
        ``await asyncio.gather(*(account.deposit(1) for _ in range(100)))`` the
        balance has grown by exactly 100.

        ``amount <= 0`` raises ``ValueError``.

        Each account is used from one event loop; different accounts may live on
        different event loops (a new loop per test), so whatever protects an account
        must not be shared with other accounts. ``__init__`` is given: create what you
        need on first use.
        """
        raise NotImplementedError


async def bounded_map(fn: Callable[[T], Awaitable[R]], items: list[T], limit: int) -> list[R]:
    """Return ``[await fn(item) for item in items]``, with calls running concurrently.

    At most ``limit`` calls of ``fn`` run at once and, while there is work, as many as
    that (a call starts as soon as a slot is free). Results are in the order of
    ``items``. For example 10 items whose calls take 1 second each, with ``limit=3``,
    take about 4 seconds.

    If ``fn`` raises, that exception (not wrapped in an ``ExceptionGroup``)
    propagates, after the calls still running have been cancelled and have finished.

    ``limit < 1`` raises ``ValueError``.

    When the task awaiting it is cancelled (by its caller), it cancels every call still
    running, waits until they have finished, and lets the cancellation propagate: the
    caller's task ends *cancelled*.
    """
    raise NotImplementedError
