"""Scenarios for ``queues``: ``process_all`` driven by scripted calls of ``handle``.

Each call of ``handle`` plays a :class:`Script` (wait, then return or raise) and records
the task it runs in; what ``process_all`` returned or raised is recorded together with
every call's outcome at that moment.
"""

from __future__ import annotations

import asyncio
from typing import Any

from grader._child.kit import Tracker, now, scenario

from ._common import Script, cancelled_by_caller, failure_of, passes_through
from .tasks import Work

HANG_AFTER = 1000.0  # loop seconds; every scripted call is done within 20


@scenario("virtual")
async def process_all(mod: Any, scripts: list[dict[str, Any]], workers: int) -> dict[str, Any]:
    """``process_all([0, 1, ...], handle, workers)`` where ``handle(i)`` plays ``scripts[i]``."""
    runs = [Script(spec, i) for i, spec in enumerate(scripts)]
    calls = Tracker()
    tasks: dict[int, asyncio.Task[Any] | None] = {}

    async def handle(item: int) -> Any:
        tasks[item] = asyncio.current_task()
        return await runs[item].run()

    t0 = now()
    out: dict[str, Any] = {"returned": None, "raised": None, "hung": False}
    try:
        async with asyncio.timeout(HANG_AFTER) as deadline:
            out["returned"] = await mod.process_all(list(range(len(runs))),
                                                    calls.wrap_async(handle), workers)
    except Exception as exc:
        if deadline.expired():
            out["hung"] = True
        elif passes_through(exc):
            raise
        else:
            out.update(failure_of(exc, runs))
    out["at"] = round(now() - t0, 6)
    out["runs"] = [run.report(t0) for run in runs]
    out["cancel_requested"] = [i for i, run in enumerate(runs) if run.outcome == "running"
                               and tasks.get(i) is not None and tasks[i].cancelling() > 0]
    distinct = {id(t) for t in tasks.values() if t is not None}
    out["tasks_running_handle"] = len(distinct)
    out["most_at_once"] = calls.most
    out["calls"] = len(calls.calls)
    # Tasks of this loop still not done when it returned (its workers, if left running).
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    out["tasks_left"] = len(left)
    out["tasks_left_cancelling"] = sum(1 for t in left if t.cancelling() > 0)
    return out


@scenario("virtual")
async def process_all_cancelled(mod: Any, works: list[dict[str, Any]], workers: int,
                                cancel_at: float, grace: float = 60.0) -> dict[str, Any]:
    """``process_all([0, 1, ...], handle, workers)``, ``handle(i)`` playing ``works[i]``
    (see ``tasks.Work``: ``cleanup`` seconds of cleanup when cancelled), in a task that its
    caller cancels at ``cancel_at``; then which tasks of the loop were still running."""
    jobs = [Work(spec, i) for i, spec in enumerate(works)]

    async def handle(item: int) -> Any:
        return await jobs[item].run()

    t0 = now()
    out = await cancelled_by_caller(
        lambda: mod.process_all(list(range(len(jobs))), handle, workers), cancel_at, grace)
    return {**out, "works": [job.report(t0) for job in jobs]}
