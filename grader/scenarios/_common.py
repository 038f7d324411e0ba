"""Building blocks that several exercises' scenarios share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar, overload

import looptime
from blockbuster.blockbuster import BlockingError

from grader._child.kit import Result, now

# Exceptions a parent may ask a scripted awaitable to raise, by name.
RAISABLE: dict[str, type[BaseException]] = {
    "ValueError": ValueError, "KeyError": KeyError, "RuntimeError": RuntimeError,
    "TimeoutError": TimeoutError, "OSError": OSError, "ZeroDivisionError": ZeroDivisionError,
}


class Script:
    """An awaitable's behaviour, described by the parent as data.

    ``{"delay": 1.0, "value": 3}`` returns 3 after one second of loop time;
    ``{"delay": 1.0, "raise": "ValueError", "message": "bad"}`` raises instead.
    Every run records when it started, finished, or was cancelled, and whether it
    finished its cleanup.
    """

    def __init__(self, spec: dict[str, Any], index: int) -> None:
        self.spec, self.index = spec, index
        self.started: float | None = None
        self.ended: float | None = None
        self.outcome = "not started"
        self.raised: BaseException | None = None
        self.calls = 0

    async def run(self) -> Any:
        self.calls += 1
        self.started = now()
        self.outcome = "running"
        try:
            await asyncio.sleep(self.spec.get("delay", 0))
            if "raise" in self.spec:
                self.raised = RAISABLE[self.spec["raise"]](self.spec.get("message", "scripted failure"))
                raise self.raised
            self.outcome = "returned"
            return self.spec.get("value")
        except asyncio.CancelledError:
            self.outcome = "cancelled"
            raise
        except Exception:
            self.outcome = "raised"
            raise
        finally:
            self.ended = now()

    def factory(self) -> Coroutine[Any, Any, Any]:
        return self.run()

    def report(self, t0: float) -> RunReport:
        return RunReport(
            index=self.index, outcome=self.outcome, calls=self.calls,
            started=None if self.started is None else round(self.started - t0, 6),
            ended=None if self.ended is None else round(self.ended - t0, 6))


class RunReport(Result):
    """How one scripted awaitable ran (times in loop seconds since the scenario started)."""

    index: int
    outcome: str  # "not started" | "running" | "returned" | "raised" | "cancelled"
    calls: int
    started: float | None
    ended: float | None


# Errors that are not an outcome of the student's function but of the harness (or a stub):
# scenarios let them through, so the parent reports them as such. The real classes, never
# a look-alike a submission makes with the same name.
HARNESS_ERRORS: tuple[type[BaseException], ...] = (
    NotImplementedError, BlockingError, looptime.IdleTimeoutError, looptime.LoopTimeoutError)


def passes_through(exc: BaseException) -> bool:
    return isinstance(exc, HARNESS_ERRORS)


class Failed(Result):
    """How a function that ran scripted calls failed."""

    raised: Any  # the exception it raised
    same_exception: bool  # it is the very exception a scripted call raised
    is_group: bool  # it is an ExceptionGroup
    group_holds_it: bool  # a group around the very exception a call raised (False: no group)


def failure_of(exc: BaseException, runs: list[Script]) -> Failed:
    """How a function that ran scripted calls failed: the exception, whether it is the very
    one a call raised, and whether it came wrapped in an ExceptionGroup."""
    raised_by_calls = [run.raised for run in runs if run.raised is not None]
    is_group = isinstance(exc, BaseExceptionGroup)
    inside = exc.exceptions if isinstance(exc, BaseExceptionGroup) else ()
    return Failed(raised=exc, same_exception=any(exc is r for r in raised_by_calls),
                  is_group=is_group,
                  group_holds_it=any(e is r for e in inside for r in raised_by_calls))


T = TypeVar("T")


class CallerEnd(Result, Generic[T]):
    """How the caller's task ended, cancelled once by :func:`cancelled_by_caller` (the
    convention "Cancelled by its caller"); read by ``grader._cancelled``."""

    ended_early: bool  # it had ended (returned or raised) before the caller cancelled it
    finished: bool  # it had ended by ``grace`` seconds after the cancellation
    cancelled: bool  # it ended cancelled, as the convention asks
    raised: Any  # the exception it ended with (None: none)
    returned: Any  # what it returned, when it ended neither cancelled nor raising
    ended_at: float | None  # loop seconds from its start to its end (None: it never ended)
    at_end: T | None  # what ``on_end()`` returned the moment it ended (None: not given)


@overload
async def cancelled_by_caller(start: Callable[[], Awaitable[Any]], cancel_at: float,
                              grace: float, *, cancel_when: Awaitable[Any] | None = None
                              ) -> CallerEnd[None]: ...


@overload
async def cancelled_by_caller(start: Callable[[], Awaitable[Any]], cancel_at: float,
                              grace: float, on_end: Callable[[], T], *,
                              cancel_when: Awaitable[Any] | None = None) -> CallerEnd[T]: ...


async def cancelled_by_caller(start: Callable[[], Awaitable[Any]], cancel_at: float,
                              grace: float, on_end: Callable[[], Any] | None = None, *,
                              cancel_when: Awaitable[Any] | None = None) -> CallerEnd[Any]:
    """The convention "Cancelled by its caller": run ``start()`` as the caller's task,
    cancel that task once, ``cancel_at`` seconds later, and wait at most ``grace`` seconds
    more for it to end. ``ended_at`` is when the task ended (seconds after it started),
    taken by a done-callback, so that what the work had done by then can be compared with
    it; ``on_end()``, if given, is called there too, its result kept as ``at_end``.
    ``cancel_when``, if given, cancels earlier: as soon as it is done (on the real clock,
    the moment the work has got as far as the test needs, instead of a fixed wait)."""
    t0 = now()
    task = asyncio.ensure_future(start())
    ended: list[float] = []
    at_end: list[Any] = []

    def note_end(_: object) -> None:
        ended.append(round(now() - t0, 6))
        if on_end is not None:
            at_end.append(on_end())

    task.add_done_callback(note_end)
    ready = None if cancel_when is None else asyncio.ensure_future(cancel_when)
    await asyncio.wait({task} if ready is None else {task, ready}, timeout=cancel_at,
                       return_when=asyncio.FIRST_COMPLETED)
    if ready is not None and not ready.done():
        ready.cancel()
    ended_early, finished = task.done(), True
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=grace)  # bounded: it may swallow its cancellation
        finished = task.done()
    raised: BaseException | None = None
    returned: Any = None
    if task.done() and not task.cancelled():
        raised = task.exception()
        if raised is not None and passes_through(raised):
            raise raised  # e.g. a stub's NotImplementedError: the harness words it
        returned = task.result() if raised is None else None
    out: CallerEnd[Any] = CallerEnd(
        ended_early=ended_early, finished=finished, cancelled=task.cancelled(), raised=raised,
        returned=returned, ended_at=ended[0] if ended else None,
        at_end=at_end[0] if at_end else None)
    if not task.done():  # it swallowed the cancellation: stop it for good, quietly
        task.cancel()
        await asyncio.wait({task}, timeout=grace)
    return out
