"""Public checks for `synchronization`: run them with `pytest checks/test_synchronization.py`."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from _target import exercise

mod = exercise("synchronization")

T = TypeVar("T")


@pytest.mark.asyncio
async def test_deposit_rejects_non_positive_amounts() -> None:
    account = mod.Account(5)
    for amount in (0, -3):
        with pytest.raises(ValueError):
            await account.deposit(amount)
    assert account.balance == 5, "a rejected deposit must not change the balance"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_bounded_map_limits_concurrency_and_keeps_order() -> None:
    running = peak = 0

    async def job(item: tuple[str, float]) -> str:
        nonlocal running, peak
        name, seconds = item
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(seconds)
        running -= 1
        return name.upper()

    # One 3 s job and six 1 s jobs, 3 at a time: while "a" runs, the two other slots
    # take the short jobs two by two, so all is done after 3 s.
    items = [("a", 3), ("b", 1), ("c", 1), ("d", 1), ("e", 1), ("f", 1), ("g", 1)]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    results = await mod.bounded_map(job, items, limit=3)
    elapsed = loop.time() - t0

    assert results == list("ABCDEFG"), f"results in the order of items, got {results}"
    assert peak == 3, f"limit=3 means 3 calls at once (no more, no fewer), saw at most {peak}"
    assert elapsed == pytest.approx(3.0), (
        f"took {elapsed:.2f} s instead of 3 s: a free slot must take the next item at "
        "once (no batches, no waiting for the slowest call)"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_bounded_map_failure_cancels_the_rest() -> None:
    running: set[int] = set()
    cancelled: set[int] = set()

    async def fn(x: int) -> int:
        running.add(x)
        try:
            if x == 0:
                await asyncio.sleep(0.5)
                raise KeyError("item 0 failed")
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.add(x)
            raise
        finally:
            running.discard(x)
        return x

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(KeyError, match="item 0 failed"):
        try:
            await mod.bounded_map(fn, [0, 1, 2, 3, 4], limit=3)
        except ExceptionGroup as group:
            pytest.fail(f"fn's KeyError must propagate as it is, not wrapped: got {group!r}")

    assert loop.time() - t0 == pytest.approx(0.5), "the failure must propagate at once"
    assert {1, 2} <= cancelled, (
        f"items 1 and 2 were running when item 0 failed: they must be cancelled; "
        f"cancelled: {sorted(cancelled)}"
    )
    assert not running, f"calls still running after bounded_map raised: {sorted(running)}"


@pytest.mark.asyncio
async def test_bounded_map_rejects_a_limit_below_one() -> None:
    async def fn(x: int) -> int:
        return x

    with pytest.raises(ValueError):
        await mod.bounded_map(fn, [1, 2], limit=0)


# Sync tests come last: with pytest-asyncio 1.5, a sync test that runs before the first
# async test of the session makes it leak an unclosed loop (a ResourceWarning at exit).


def run_on_new_loop(main: Callable[[], Coroutine[Any, Any, T]], timeout: float = 5) -> T:
    """asyncio.run(main()) in a helper thread, so that a deadlocked loop fails the check
    instead of hanging it."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(main()))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(
            f"the deposits did not finish within {timeout} s: the event loop is stuck "
            "(a threading.Lock, or another blocking wait, held across an await?)"
        )
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_concurrent_deposits_lose_nothing() -> None:
    async def main() -> tuple[int, list[int]]:
        account = mod.Account(10)
        new_balances = await asyncio.gather(*(account.deposit(1) for _ in range(100)))
        return account.balance, new_balances

    balance, new_balances = run_on_new_loop(main)

    assert balance == 110, (
        f"100 concurrent deposits of 1 on a balance of 10 left {balance}, not 110: "
        "deposits that overlap across `await self._sync()` lose updates"
    )
    assert sorted(new_balances) == list(range(11, 111)), (
        "each deposit returns the balance right after it: 11, 12, ..., 110 in some order"
    )


def test_accounts_work_on_separate_loops() -> None:
    # A new loop per run, as in the hidden suites: whatever protects an account must not
    # be tied to the first loop that used it.
    async def hundred_deposits() -> int:
        account = mod.Account()
        await asyncio.gather(*(account.deposit(2) for _ in range(100)))
        return account.balance

    for run in (1, 2):
        balance = run_on_new_loop(hundred_deposits)
        assert balance == 200, f"run {run} on a new loop: balance {balance}, expected 200"
