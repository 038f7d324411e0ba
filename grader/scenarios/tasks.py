"""Scenarios for ``tasks``: work whose cancellation and cleanup are recorded, on the
virtual clock, and a heartbeat whose every log entry is time-stamped."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Self

from grader._child.kit import Result, now, scenario

from ._common import RAISABLE, CallerEnd, cancelled_by_caller


class WorkReport(Result):
    """How one scripted work ran (times in loop seconds since the scenario started)."""

    index: int
    calls: int
    outcome: str  # "not started" | "running" | "returned" | "raised" | "cancelled"
    started: float | None
    cancelled: float | None  # when the cancellation reached it
    cleaned: float | None  # when it finished its cleanup after that
    ended: float | None
    # A cancel() of the task running it was pending, not yet delivered: it was cancelled,
    # only not waited for (tells "cancelled without waiting" from "never cancelled").
    cancel_requested: bool = False


class Cancelled(Result):
    returned: Any
    returned_at: float  # loop seconds from the call until cancel_after returned
    work: WorkReport  # as it was the moment cancel_after returned


class Stamp(Result):
    entry: Any  # what was added to the log
    at: float  # when, in loop seconds since the call


class Heartbeat(Result):
    ended_by_itself: bool  # it ended before it was cancelled
    log: list[Any]  # the log at the end
    times: list[Stamp]  # every entry added, with when
    ended_at: float  # loop seconds from the call until it ended (or the grace ran out)
    before_cancel: list[Any] = []  # the log when it was cancelled
    finished: bool = True  # it ended within the grace after cancel()
    cancelled: bool = False  # it ended cancelled
    raised: Any = None  # what it raised instead


class Race(Result):
    returned: Any
    returned_at: float  # loop seconds from the call until first_completed returned
    works: list[WorkReport]  # as they were the moment first_completed returned


class Work:
    """An awaitable's behaviour, described by the parent as data.

    ``{"delay": 1.0, "value": 3}`` returns 3 after one second of loop time;
    ``{"delay": 1.0, "raise": "ValueError", "message": "bad"}`` raises instead;
    ``"cleanup": 0.5`` makes a cancelled run spend half a second cleaning up (awaiting)
    before its cancellation propagates. Every run records when it started, was
    cancelled, finished its cleanup, and ended.
    """

    def __init__(self, spec: dict[str, Any], index: int = 0) -> None:
        self.spec, self.index = spec, index
        self.calls = 0
        self.outcome = "not started"
        self.started: float | None = None
        self.cancelled_at: float | None = None
        self.cleaned_at: float | None = None
        self.ended: float | None = None
        self._task: asyncio.Task[Any] | None = None

    async def run(self) -> Any:
        self.calls += 1
        self.started = now()
        self._task = asyncio.current_task()
        self.outcome = "running"
        try:
            await asyncio.sleep(self.spec.get("delay", 0))
            if "raise" in self.spec:
                raise RAISABLE[self.spec["raise"]](self.spec.get("message", "scripted failure"))
            self.outcome = "returned"
            return self.spec.get("value")
        except asyncio.CancelledError:
            self.outcome = "cancelled"
            self.cancelled_at = now()
            if self.spec.get("cleanup"):
                await asyncio.sleep(self.spec["cleanup"])  # e.g. closing a connection
            self.cleaned_at = now()
            raise
        except Exception:
            self.outcome = "raised"
            raise
        finally:
            self.ended = now()

    def report(self, t0: float) -> WorkReport:
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t0, 6)

        return WorkReport(index=self.index, calls=self.calls, outcome=self.outcome,
                          started=rel(self.started), cancelled=rel(self.cancelled_at),
                          cleaned=rel(self.cleaned_at), ended=rel(self.ended),
                          cancel_requested=(self.cancelled_at is None and self._task is not None
                                            and self._task.cancelling() > 0))


@scenario("virtual")
async def cancel_after(mod: Any, work: dict[str, Any], delay: float) -> Cancelled:
    job = Work(work)
    t0 = now()
    returned = await mod.cancel_after(job.run(), delay)
    # Taken the moment cancel_after returned: was the work finished by then?
    return Cancelled(returned=returned, returned_at=round(now() - t0, 6), work=job.report(t0))


class TimedLog(list[Any]):
    """A list that remembers the loop time of every entry added to it."""

    def __init__(self, t0: float) -> None:
        super().__init__()
        self.t0 = t0
        self.times: list[Stamp] = []

    def _stamp(self, items: list[Any]) -> None:
        at = round(now() - self.t0, 6)
        self.times.extend(Stamp(entry=item, at=at) for item in items)

    def append(self, item: Any) -> None:
        self._stamp([item])
        super().append(item)

    def extend(self, items: Any) -> None:
        items = list(items)
        self._stamp(items)
        super().extend(items)

    # `log += items` must stamp too; mypy cannot match this with list's overloaded __add__.
    def __iadd__(self, items: Iterable[Any]) -> Self:  # type: ignore[misc]
        self.extend(items)
        return self

    def insert(self, index: Any, item: Any) -> None:
        self._stamp([item])
        super().insert(index, item)


@scenario("virtual")
async def heartbeat(mod: Any, interval: float, cancel_at: float, grace: float) -> Heartbeat:
    """Runs ``heartbeat`` as a task, cancels it ``cancel_at`` seconds later, and waits at
    most ``grace`` seconds for it to end."""
    t0 = now()
    log = TimedLog(t0)
    task = asyncio.create_task(mod.heartbeat(interval, log))
    await asyncio.wait({task}, timeout=cancel_at)
    if task.done():  # heartbeat must run until cancelled: show why it ended
        await task  # re-raises what it raised (e.g. NotImplementedError)
        return Heartbeat(ended_by_itself=True, log=list(log), times=log.times,
                         ended_at=round(now() - t0, 6))
    before_cancel = list(log)
    task.cancel()
    await asyncio.wait({task}, timeout=grace)  # bounded: a task may swallow its cancellation
    raised = None
    if task.done() and not task.cancelled():
        raised = task.exception()  # retrieves it: the verdict is the parent's
    return Heartbeat(
        ended_by_itself=False, before_cancel=before_cancel, log=list(log), times=log.times,
        finished=task.done(), cancelled=task.cancelled(), ended_at=round(now() - t0, 6),
        raised=raised)


@scenario("virtual")
async def first_completed(mod: Any, works: list[dict[str, Any]]) -> Race:
    jobs = [Work(spec, i) for i, spec in enumerate(works)]
    t0 = now()
    returned = await mod.first_completed([job.run for job in jobs])
    # Taken the moment first_completed returned: were the others finished by then?
    return Race(returned=returned, returned_at=round(now() - t0, 6),
                works=[job.report(t0) for job in jobs])


# -- cancelled by the caller (the convention) --------------------------------------------

class CancelAfterCancelled(Result):
    caller: CallerEnd[None]  # how the caller's task, cancelled once, ended
    work: WorkReport  # as it was at the end of the scenario


class FirstCompletedCancelled(Result):
    caller: CallerEnd[None]  # how the caller's task, cancelled once, ended
    works: list[WorkReport]  # as they were at the end of the scenario


@scenario("virtual")
async def cancel_after_cancelled(mod: Any, work: dict[str, Any], delay: float,
                                 cancel_at: float, grace: float = 60.0) -> CancelAfterCancelled:
    """``cancel_after(<work>, delay)`` in a task that its caller cancels at ``cancel_at``."""
    job = Work(work)
    t0 = now()
    caller = await cancelled_by_caller(lambda: mod.cancel_after(job.run(), delay), cancel_at,
                                       grace)
    return CancelAfterCancelled(caller=caller, work=job.report(t0))


@scenario("virtual")
async def first_completed_cancelled(mod: Any, works: list[dict[str, Any]], cancel_at: float,
                                    grace: float = 60.0) -> FirstCompletedCancelled:
    """``first_completed(<works>)`` in a task that its caller cancels at ``cancel_at``."""
    jobs = [Work(spec, i) for i, spec in enumerate(works)]
    t0 = now()
    caller = await cancelled_by_caller(lambda: mod.first_completed([job.run for job in jobs]),
                                       cancel_at, grace)
    return FirstCompletedCancelled(caller=caller, works=[job.report(t0) for job in jobs])
