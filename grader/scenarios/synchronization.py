"""Scenarios for ``synchronization``: deposits that race across ``await``, and a bounded map.

Contended deposits run on a virtual-clock loop of their own, in a helper thread: a
``threading.Lock`` held across ``await`` deadlocks the loop's thread for good (blockbuster
does not see ``with lock:``), and the helper thread lets the scenario report that after
a moment instead of hanging until the parent's time limit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import looptime

from grader._child.kit import Result, Tracker, now, scenario

from ._common import CallerEnd, Failed, RunReport, Script, cancelled_by_caller, failure_of, passes_through
from .tasks import Work, WorkReport

T = TypeVar("T")

STUCK_AFTER = 2.0  # real seconds; honest deposits on a virtual clock take milliseconds
HANG_AFTER = 1000.0  # loop seconds; every scripted call is done within 20


class OnOwnLoop(Result, Generic[T]):
    """What a coroutine run by :func:`_on_own_loop` gave."""

    stuck: bool  # its loop's thread was still busy STUCK_AFTER real seconds later
    value: T | None = None  # what it returned (None when stuck)
    elapsed: float | None = None  # loop seconds it took on its own loop (None when stuck)


def _on_own_loop(make_main: Callable[[], Coroutine[Any, Any, T]]) -> OnOwnLoop[T]:
    """Run ``make_main()`` on a new virtual-clock loop in a helper thread.

    If that loop's thread is still busy after STUCK_AFTER real seconds, it is left
    behind (a daemon, reported as a leftover thread). An exception of the main coroutine
    is re-raised here, so the harness reports it with its student line.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        loop = looptime.new_event_loop(end=3600.0, idle_timeout=1.0)
        try:
            t0 = loop.time()
            try:
                box["value"] = loop.run_until_complete(make_main())
            except BaseException as exc:  # handed to the scenario's thread
                box["error"] = exc
            box["elapsed"] = round(loop.time() - t0, 6)
            left = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.wait(left, timeout=10))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    thread = threading.Thread(target=target, name="aiograde-account-loop", daemon=True)
    thread.start()
    thread.join(STUCK_AFTER)
    if thread.is_alive():
        return OnOwnLoop(stuck=True)
    if "error" in box:
        raise box["error"]
    return OnOwnLoop(stuck=False, value=box.get("value"), elapsed=box.get("elapsed"))


def _instrument(account: Any, sync_delay: float, tracker: Tracker, seen: list[Any]) -> None:
    """Replace the account's ``_sync`` (stands for I/O) with a counted, timed twin."""

    async def _sync() -> None:
        seen.append(account.balance)
        await asyncio.sleep(sync_delay)

    account._sync = tracker.wrap_async(_sync)


# -- deposits ------------------------------------------------------------------------------


class Deposits(Result):
    returned: Any  # what each deposit returned, in order
    balance: Any  # account.balance afterwards
    sync_calls: int  # awaits of account._sync()


class OneByOne(Deposits):
    balance_seen_by_sync: list[Any]  # account.balance at each _sync() call


class DepositOutcome(Result):
    returned: Any  # what the deposit returned (None if it raised)
    raised: Any  # the ValueError it raised, if any


class Rejected(Result):
    outcomes: list[DepositOutcome]  # one per amount, in order
    balance: Any  # account.balance afterwards


class SideBySide(Result):
    balances: list[Any]  # each account's balance afterwards
    syncs_at_once: int  # _sync() calls running at once, at most, over all accounts


@scenario("virtual")
async def deposit_one_by_one(mod: Any, start: int, amounts: list[int]) -> OneByOne:
    account = mod.Account(start)
    syncs = Tracker()
    seen: list[Any] = []
    _instrument(account, 0.0, syncs, seen)
    returned = []
    for amount in amounts:
        returned.append(await account.deposit(amount))
    return OneByOne(returned=returned, balance=account.balance, sync_calls=len(syncs.calls),
                    balance_seen_by_sync=seen)


@scenario("virtual")
async def deposit_rejected(mod: Any, start: int, amounts: list[int]) -> Rejected:
    account = mod.Account(start)
    outcomes: list[DepositOutcome] = []
    for amount in amounts:
        try:
            outcomes.append(DepositOutcome(returned=await account.deposit(amount), raised=None))
        except ValueError as exc:
            outcomes.append(DepositOutcome(returned=None, raised=exc))
    return Rejected(outcomes=outcomes, balance=account.balance)


@scenario("sync")
def deposit_concurrently(mod: Any, start: int, amounts: list[int],
                         sync_delay: float = 0.0) -> OnOwnLoop[Deposits]:
    async def main() -> Deposits:
        account = mod.Account(start)
        syncs = Tracker()
        seen: list[Any] = []
        _instrument(account, sync_delay, syncs, seen)
        returned = await asyncio.gather(*(account.deposit(a) for a in amounts))
        return Deposits(returned=list(returned), balance=account.balance,
                        sync_calls=len(syncs.calls))

    return _on_own_loop(main)


@scenario("sync")
def accounts_side_by_side(mod: Any, starts: list[int], deposits_each: int, amount: int,
                          sync_delay: float) -> OnOwnLoop[SideBySide]:
    """Several accounts, each with several concurrent deposits, all at the same time."""

    async def main() -> SideBySide:
        accounts = [mod.Account(s) for s in starts]
        syncs = Tracker()
        for account in accounts:
            _instrument(account, sync_delay, syncs, [])
        await asyncio.gather(*(account.deposit(amount) for account in accounts
                               for _ in range(deposits_each)))
        return SideBySide(balances=[a.balance for a in accounts], syncs_at_once=syncs.most)

    return _on_own_loop(main)


# -- bounded_map ---------------------------------------------------------------------------


class BoundedMap(Result):
    returned: Any  # what bounded_map returned (None if it raised or hung)
    failed: Failed | None  # how it failed, if it raised
    hung: bool  # still running HANG_AFTER loop seconds after the call
    at: float  # loop seconds from the call until it returned, raised or hung
    runs: list[RunReport]  # every call of fn, as it stood at that moment
    cancel_requested: list[int]  # items whose call was asked to cancel but still ran then
    most_at_once: int  # calls of fn running at once, at most
    calls: int  # calls of fn


@scenario("virtual")
async def bounded_map(mod: Any, scripts: list[dict[str, Any]], limit: int) -> BoundedMap:
    """``bounded_map(fn, [0, 1, ...], limit)`` where ``fn(i)`` plays ``scripts[i]``.

    What it returned or raised is recorded together with every call's outcome at that
    moment (so "still running when it raised" can be told from "cancelled and finished").
    """
    runs = [Script(spec, i) for i, spec in enumerate(scripts)]
    calls = Tracker()

    tasks: dict[int, asyncio.Task[Any] | None] = {}

    async def fn(item: int) -> Any:
        tasks[item] = asyncio.current_task()
        return await runs[item].run()

    t0 = now()
    returned: Any = None
    failed: Failed | None = None
    hung = False
    try:
        async with asyncio.timeout(HANG_AFTER) as deadline:
            returned = await mod.bounded_map(calls.wrap_async(fn), list(range(len(runs))), limit)
    except Exception as exc:
        if deadline.expired():
            hung = True
        elif passes_through(exc):
            raise
        else:
            failed = failure_of(exc, runs)
    at = round(now() - t0, 6)
    # Still running, but asked to stop: cancel() without waiting for the end.
    cancel_requested = []
    for i, run in enumerate(runs):
        task = tasks.get(i)
        if run.outcome == "running" and task is not None and task.cancelling() > 0:
            cancel_requested.append(i)
    return BoundedMap(returned=returned, failed=failed, hung=hung, at=at,
                      runs=[run.report(t0) for run in runs], cancel_requested=cancel_requested,
                      most_at_once=calls.most, calls=len(calls.calls))


class BoundedMapCancelled(Result):
    caller: CallerEnd[None]  # how the task running bounded_map ended
    works: list[WorkReport]  # every call of fn, as it stood at the end of the scenario


@scenario("virtual")
async def bounded_map_cancelled(mod: Any, works: list[dict[str, Any]], limit: int,
                                cancel_at: float, grace: float = 60.0) -> BoundedMapCancelled:
    """``bounded_map(fn, [0, 1, ...], limit)``, ``fn(i)`` playing ``works[i]`` (see
    ``tasks.Work``: ``cleanup`` seconds of cleanup when cancelled), in a task that its
    caller cancels at ``cancel_at``."""
    jobs = [Work(spec, i) for i, spec in enumerate(works)]

    async def fn(item: int) -> Any:
        return await jobs[item].run()

    t0 = now()
    caller = await cancelled_by_caller(
        lambda: mod.bounded_map(fn, list(range(len(jobs))), limit), cancel_at, grace)
    return BoundedMapCancelled(caller=caller, works=[job.report(t0) for job in jobs])
