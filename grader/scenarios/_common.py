"""Building blocks that several exercises' scenarios share."""

from __future__ import annotations

import asyncio
from typing import Any

from grader._child.kit import now

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

    def factory(self):
        return self.run()

    def report(self, t0: float) -> dict[str, Any]:
        return {
            "index": self.index, "outcome": self.outcome, "calls": self.calls,
            "started": None if self.started is None else round(self.started - t0, 6),
            "ended": None if self.ended is None else round(self.ended - t0, 6),
        }


# Errors that are not an outcome of the student's function but of the harness (or a stub):
# scenarios let them through, so the parent reports them as such.
HARNESS_ERRORS = {"NotImplementedError", "BlockingError", "IdleTimeoutError", "LoopTimeoutError"}


def passes_through(exc: BaseException) -> bool:
    return any(k.__name__ in HARNESS_ERRORS for k in type(exc).__mro__)


def failure_of(exc: BaseException, runs: list[Script]) -> dict[str, Any]:
    """How a function that ran scripted calls failed: the exception, whether it is the very
    one a call raised, and whether it came wrapped in an ExceptionGroup."""
    found: dict[str, Any] = {
        "raised": exc,
        "same_exception": any(exc is run.raised for run in runs),
        "is_group": isinstance(exc, BaseExceptionGroup),
    }
    if isinstance(exc, BaseExceptionGroup):
        found["group_holds_it"] = any(e is run.raised for e in exc.exceptions for run in runs)
    return found


async def cancelled_by_caller(start: Any, cancel_at: float, grace: float,
                              on_end: Any = None) -> dict[str, Any]:
    """The convention "Cancelled by its caller": run ``start()`` (a coroutine) as the
    caller's task, cancel that task once, ``cancel_at`` seconds later, and wait at most
    ``grace`` seconds more for it to end. ``ended_at`` is when the task ended (seconds
    after it started), taken by a done-callback, so that what the work had done by then
    can be compared with it; ``on_end()``, if given, is called there too, its result
    kept as ``at_end``."""
    t0 = now()
    task = asyncio.ensure_future(start())
    ended: list[float] = []
    at_end: list[Any] = []

    def note_end(_: Any) -> None:
        ended.append(round(now() - t0, 6))
        if on_end is not None:
            at_end.append(on_end())

    task.add_done_callback(note_end)
    await asyncio.wait({task}, timeout=cancel_at)
    out: dict[str, Any] = {"ended_early": task.done(), "finished": True, "cancelled": False,
                           "raised": None, "returned": None}
    if not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=grace)  # bounded: it may swallow its cancellation
        out["finished"] = task.done()
    if task.done() and not task.cancelled():
        failure = task.exception()
        if failure is not None and passes_through(failure):
            raise failure  # e.g. a stub's NotImplementedError: the harness words it
        out["raised"] = failure
        out["returned"] = task.result() if out["raised"] is None else None
    out["cancelled"] = task.cancelled()
    out["ended_at"] = ended[0] if ended else None
    out["at_end"] = at_end[0] if at_end else None
    if not task.done():  # it swallowed the cancellation: stop it for good, quietly
        task.cancel()
        await asyncio.wait({task}, timeout=grace)
    return out
