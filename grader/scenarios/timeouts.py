"""Scenarios for ``timeouts``: scripted work whose every start, cancellation, cleanup and end
is noted with its loop time, so the parent can tell "cancelled and finished before
with_timeout returned" from "cancelled too late", and read retry's schedule off the clock.

What the student's function raised comes back as data with the work's state at that moment
(:class:`Outcome`), with the attempt that raised it when it is the very exception a work
raised, so the parent can check it propagated *unchanged*. Only "not implemented" and
blocking calls propagate to the harness, which words them itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from grader._child.instruments import RecordingBlockingError
from grader._child.kit import Result, scenario

from ._common import RAISABLE, CallerEnd, cancelled_by_caller


class WorkReport(Result):
    """How one run of scripted work went (times in loop seconds since the call)."""

    outcome: str  # "not started" | "running" | "returned" | "raised" | "cleaning up" | "cancelled"
    started: float | None
    saw_cancel: float | None  # when CancelledError reached it
    ended: float | None
    # A cancel() of the task running it was pending, not yet delivered: it was cancelled,
    # only not waited for (tells "cancelled without waiting" from "never cancelled").
    cancel_requested: bool = False


class Outcome(Result):
    """What the student's function gave back, and the work's state at that very moment."""

    returned: Any  # None when it raised
    raised: Any  # what it raised instead (None when it returned)
    raised_by: int | None  # the attempt whose very exception `raised` is (None: not a work's)
    at: float  # loop seconds from the call until it returned or raised
    works: list[WorkReport]  # every attempt, in order


class CancelledRetry(Result):
    """retry run as a task that its caller cancelled."""

    done_before_cancel: bool  # it had ended before the cancellation
    ignored_cancel: bool  # it was still running long after the cancellation
    ended: float | None  # loop seconds from the call until the task ended
    ended_as: str  # "cancelled" | "raised" | "returned" | "running" (never ended)
    works: list[WorkReport]  # every attempt, in order
    returned: Any = None
    raised: Any = None


class Work:
    """One run of scripted work: ``{"delay": 1.0, "value": 3}`` returns 3 after a second;
    ``"raise": "ValueError"`` raises instead; ``"cleanup": 0.5`` spends half a second of loop
    time cleaning up when cancelled, then lets the cancellation go on."""

    def __init__(self, spec: dict[str, Any], loop: asyncio.AbstractEventLoop, t0: float) -> None:
        self.spec, self._loop, self._t0 = spec, loop, t0
        self.started: float | None = None
        self.saw_cancel: float | None = None
        self.ended: float | None = None
        self.outcome = "not started"
        self.raised: BaseException | None = None
        self._task: asyncio.Task[Any] | None = None

    def _now(self) -> float:
        return round(self._loop.time() - self._t0, 6)

    async def run(self) -> Any:
        self.started = self._now()
        self._task = asyncio.current_task()
        self.outcome = "running"
        try:
            await asyncio.sleep(self.spec.get("delay", 0))
            if "raise" in self.spec:
                self.raised = RAISABLE[self.spec["raise"]](self.spec.get("message", "scripted failure"))
                self.outcome = "raised"
                raise self.raised
            self.outcome = "returned"
            return self.spec.get("value")
        except asyncio.CancelledError:
            self.saw_cancel = self._now()
            self.outcome = "cleaning up"
            if self.spec.get("cleanup"):
                await asyncio.sleep(self.spec["cleanup"])
            self.outcome = "cancelled"
            raise
        finally:
            self.ended = self._now()

    def report(self) -> WorkReport:
        pending = (self.saw_cancel is None and self._task is not None
                   and self._task.cancelling() > 0)
        return WorkReport(outcome=self.outcome, started=self.started,
                          saw_cancel=self.saw_cancel, ended=self.ended, cancel_requested=pending)


async def _outcome(coro: Any, works: list[Work], loop: asyncio.AbstractEventLoop,
                   t0: float) -> Outcome:
    try:
        returned = await coro
    except (NotImplementedError, RecordingBlockingError):
        raise
    except Exception as exc:
        # The work's state at the very moment it came back, before anything else runs.
        # raised_by None: not a work's own exception (asyncio's TimeoutError, a ValueError...)
        by = next((i for i, w in enumerate(works) if w.raised is exc), None)
        return Outcome(returned=None, raised=exc, raised_by=by, at=round(loop.time() - t0, 6),
                       works=[w.report() for w in works])
    return Outcome(returned=returned, raised=None, raised_by=None,
                   at=round(loop.time() - t0, 6), works=[w.report() for w in works])


@scenario("virtual")
async def with_timeout(mod: Any, work: dict[str, Any], time_limit: float,
                       default: Any) -> Outcome:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    job = Work(work, loop, t0)
    coro = job.run()
    try:
        return await _outcome(mod.with_timeout(coro, time_limit, default), [job], loop, t0)
    finally:
        if job.started is None:
            coro.close()  # never started by the student: the parent says so, no extra warning


class Op:
    """``op`` for retry: attempt i runs ``plan[min(i, len(plan) - 1)]``."""

    def __init__(self, plan: list[dict[str, Any]], loop: asyncio.AbstractEventLoop, t0: float) -> None:
        self.plan, self.loop, self.t0 = plan, loop, t0
        self.works: list[Work] = []

    def __call__(self) -> Any:
        work = Work(self.plan[min(len(self.works), len(self.plan) - 1)], self.loop, self.t0)
        self.works.append(work)
        return work.run()

    def report(self) -> list[WorkReport]:
        return [w.report() for w in self.works]


@scenario("virtual")
async def retry(mod: Any, plan: list[dict[str, Any]], attempts: int,
                time_limit: float, backoff: float) -> Outcome:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    op = Op(plan, loop, t0)
    return await _outcome(mod.retry(op, attempts, time_limit, backoff), op.works, loop, t0)


@scenario("virtual")
async def retry_cancelled(mod: Any, plan: list[dict[str, Any]], attempts: int,
                          time_limit: float,
                          backoff: float, cancel_at: float) -> CancelledRetry:
    """retry runs as a task that its caller cancels at ``cancel_at``."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    op = Op(plan, loop, t0)
    ended: list[float] = []
    task = asyncio.ensure_future(mod.retry(op, attempts, time_limit, backoff))
    task.add_done_callback(lambda _: ended.append(round(loop.time() - t0, 6)))
    await asyncio.sleep(cancel_at)
    was_done = task.done()
    task.cancel()
    await asyncio.wait({task}, timeout=600.0)  # bounded: retry may ignore the cancellation
    still_running = not task.done()
    if still_running:  # it swallowed the cancellation: stop it for good
        for _ in range(5):
            task.cancel()
            await asyncio.wait({task}, timeout=1.0)
            if task.done():
                break
    outcome = CancelledRetry(done_before_cancel=was_done, ignored_cancel=still_running,
                             ended=ended[0] if ended else None, ended_as="running",
                             works=op.report())
    if task.done():
        if task.cancelled():
            outcome.ended_as = "cancelled"
        elif task.exception() is not None:
            exc = task.exception()
            if isinstance(exc, (NotImplementedError, RecordingBlockingError)):
                raise exc
            outcome.ended_as, outcome.raised = "raised", exc
        else:
            outcome.ended_as, outcome.returned = "returned", task.result()
    return outcome


class WithTimeoutCancelled(Result):
    """with_timeout run as a task that its caller cancelled (``_common.cancelled_by_caller``)."""

    caller: CallerEnd[None]  # how the caller's task, cancelled once, ended
    work: WorkReport  # at the end of the scenario


@scenario("virtual")
async def with_timeout_cancelled(mod: Any, work: dict[str, Any], time_limit: float,
                                 cancel_at: float, grace: float = 60.0) -> WithTimeoutCancelled:
    """``with_timeout(<work>, time_limit, None)`` in a task that its caller cancels at
    ``cancel_at`` (the convention "Cancelled by its caller")."""
    loop = asyncio.get_running_loop()
    job = Work(work, loop, loop.time())
    coro = job.run()
    try:
        caller = await cancelled_by_caller(lambda: mod.with_timeout(coro, time_limit, None),
                                           cancel_at, grace)
    finally:
        if job.started is None:
            coro.close()
    return WithTimeoutCancelled(caller=caller, work=job.report())
