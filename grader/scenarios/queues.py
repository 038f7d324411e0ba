"""Scenarios for ``queues``: ``process_all`` driven by scripted calls of ``handle``.

Each call of ``handle`` plays a :class:`Script` (wait, then return or raise) and records
the task it runs in; what ``process_all`` returned or raised is recorded together with
every call's outcome at that moment.
"""

from __future__ import annotations

import asyncio
from typing import Any

from grader._child.kit import Result, Tracker, now, scenario

from ._common import CallerEnd, Failed, RunReport, Script, cancelled_by_caller, failure_of, passes_through
from .tasks import Work, WorkReport

HANG_AFTER = 1000.0  # loop seconds; every scripted call is done within 20


class ProcessAll(Result):
    returned: Any  # what process_all returned (None if it raised or hung)
    failed: Failed | None  # how it failed, if it raised
    hung: bool  # still running HANG_AFTER loop seconds after the call
    at: float  # loop seconds from the call until it returned, raised or hung
    runs: list[RunReport]  # every call of handle, as it stood at that moment
    cancel_requested: list[int]  # items whose call was asked to cancel but still ran then
    tasks_running_handle: int  # distinct tasks that called handle
    most_at_once: int  # calls of handle running at once, at most
    calls: int  # calls of handle
    tasks_left: int  # tasks of the loop still not done when it returned
    tasks_left_cancelling: int  # of those, the ones asked to cancel


@scenario("virtual")
async def process_all(mod: Any, scripts: list[dict[str, Any]], workers: int) -> ProcessAll:
    """``process_all([0, 1, ...], handle, workers)`` where ``handle(i)`` plays ``scripts[i]``."""
    runs = [Script(spec, i) for i, spec in enumerate(scripts)]
    calls = Tracker()
    tasks: dict[int, asyncio.Task[Any] | None] = {}

    async def handle(item: int) -> Any:
        tasks[item] = asyncio.current_task()
        return await runs[item].run()

    t0 = now()
    returned: Any = None
    failed: Failed | None = None
    hung = False
    try:
        async with asyncio.timeout(HANG_AFTER) as deadline:
            returned = await mod.process_all(list(range(len(runs))), calls.wrap_async(handle),
                                             workers)
    except Exception as exc:
        if deadline.expired():
            hung = True
        elif passes_through(exc):
            raise
        else:
            failed = failure_of(exc, runs)
    at = round(now() - t0, 6)
    cancel_requested = []
    for i, run in enumerate(runs):
        task = tasks.get(i)
        if run.outcome == "running" and task is not None and task.cancelling() > 0:
            cancel_requested.append(i)
    # Tasks of this loop still not done when it returned (its workers, if left running).
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    return ProcessAll(
        returned=returned, failed=failed, hung=hung, at=at,
        runs=[run.report(t0) for run in runs], cancel_requested=cancel_requested,
        tasks_running_handle=len({id(t) for t in tasks.values() if t is not None}),
        most_at_once=calls.most, calls=len(calls.calls), tasks_left=len(left),
        tasks_left_cancelling=sum(1 for t in left if t.cancelling() > 0))


class ProcessAllCancelled(Result):
    caller: CallerEnd[None]  # how the task running process_all ended
    works: list[WorkReport]  # every call of handle, as it stood at the end of the scenario


@scenario("virtual")
async def process_all_cancelled(mod: Any, works: list[dict[str, Any]], workers: int,
                                cancel_at: float, grace: float = 60.0) -> ProcessAllCancelled:
    """``process_all([0, 1, ...], handle, workers)``, ``handle(i)`` playing ``works[i]``
    (see ``tasks.Work``: ``cleanup`` seconds of cleanup when cancelled), in a task that its
    caller cancels at ``cancel_at``."""
    jobs = [Work(spec, i) for i, spec in enumerate(works)]

    async def handle(item: int) -> Any:
        return await jobs[item].run()

    t0 = now()
    caller = await cancelled_by_caller(
        lambda: mod.process_all(list(range(len(jobs))), handle, workers), cancel_at, grace)
    return ProcessAllCancelled(caller=caller, works=[job.report(t0) for job in jobs])
