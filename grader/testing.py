"""The API of the hidden suites: points on each test, and observations to assert on.

A suite is a pytest module in ``grader/suites/`` that runs in the grader's own
process. It never imports student code: it asks the ``student`` fixture to run a
scenario in the sandboxed child and gets back an :class:`Observation`::

    SLUG = "gathering"

    @case(points=2, hidden=False)
    def test_results_in_order(student):
        obs = student.run("squares_concurrently", xs=[3, 1, 2], delay=0.5)
        expect_equal(obs.returned(), [9, 1, 4], obs.call, hint="Keep the order of xs.")

Every failure is raised with :func:`fail`, whose message is what the student reads:
what was called, what happened, what was expected, and the likely mistake.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, Protocol, TypeVar

import msgspec
import pytest

from . import teaching
from ._status import Reason
from ._values import Opaque, Raised, show
from ._wire import BlockingCall, Location, LoopError, Stall, TimelineEvent

__all__ = ["TOLERANCE", "GradingFailure", "Observation", "Opaque", "Raised", "Reason", "case",
           "expect_equal", "fail", "show"]


class GradingFailure(AssertionError):
    """A test's verdict, worded for the student, with why it failed (set here, by the
    check that failed, never read back out of the wording)."""

    def __init__(self, message: str, reason: Reason = Reason.WRONG,
                 where: Location | None = None,
                 timeline: list[TimelineEvent] | None = None, cause: str = "") -> None:
        super().__init__(message)
        self.message, self.reason, self.where, self.timeline = message, reason, where, timeline
        self.cause = cause


def fail(message: str, reason: Reason = Reason.WRONG, *, obs: Observation[Any] | None = None,
         where: Location | None = None, cause: str = "") -> NoReturn:
    """Fail the test with ``message``. ``obs`` attaches what the loop did (its timeline)
    for timing and concurrency failures. ``cause`` names, in a few words, a mistake that
    other tests of the exercise can run into too (``"result_from_thread does not call
    start(callback) exactly once"``): a later test failing of the same cause is reported
    as caused by the first one (``grader._scoring``), not as a mistake of its own."""
    __tracebackhide__ = True
    timeline = obs.timeline if obs is not None and reason in _DRAWN else None
    raise GradingFailure(message, reason, where, timeline or None, cause)


# Failures worth a picture of the loop: a student sees what ran when.
_DRAWN = {Reason.TIMING, Reason.BLOCKING, Reason.BUSY_LOOP, Reason.HANG}
# Loop time is virtual and exact; this much slack only absorbs rounding.
TOLERANCE = 0.01


def case(points: int, hidden: bool = True, hints: tuple[str, ...] = ()) -> pytest.MarkDecorator:
    """Points, visibility and hints of one hidden-suite test (like Otter's ``test_case``).
    ``hints`` are shown (progressively) to a student whose answer fails this test."""
    if not isinstance(points, int) or points < 0:
        raise ValueError("points must be a whole number >= 0")
    return pytest.mark.aiograde(points=points, hidden=hidden, hints=tuple(hints))


def expect_equal(actual: Any, expected: Any, call: str, hint: str = "") -> None:
    __tracebackhide__ = True
    if type(actual) is not type(expected) or actual != expected:
        fail(f"{call} returned {show(actual)}; expected {show(expected)}." + (f" {hint}" if hint else ""))


def _plain(where: Location | None) -> dict[str, Any] | None:
    """A location as the shared teaching messages take it (plain data, like the public
    checks' plugin has)."""
    return None if where is None else msgspec.structs.asdict(where)


class HasReturned(Protocol):
    """A scenario result that records what the student's function returned."""

    @property
    def returned(self) -> Any: ...


R = TypeVar("R")
HR = TypeVar("HR", bound=HasReturned)


@dataclass
class Observation(Generic[R]):
    """What the child saw while a scenario ran, decoded. Nothing here is trusted to be true
    of the student's intent, only of what their code did. ``value`` is the scenario's
    typed result (``None`` when the scenario raised: see ``error``)."""

    call: str
    value: R
    error: Raised | None = None
    elapsed: float | None = None
    wall: float | None = None
    leaks: dict[str, list[str]] = field(default_factory=dict)
    never_awaited: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loop_errors: list[LoopError] = field(default_factory=list)
    blocking: list[BlockingCall] = field(default_factory=list)
    stalls: list[Stall] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    # -- outcome -------------------------------------------------------------------------

    def expect_no_error(self, hint: str = "") -> None:
        __tracebackhide__ = True
        if self.error is None:
            return
        err = self.error
        if err.is_a("NotImplementedError"):
            fail(f"{self.call} raised NotImplementedError: this function is not implemented yet.",
                 Reason.NOT_IMPLEMENTED, where=err.where)
        if err.is_a("IdleTimeoutError") or err.is_a("LoopTimeoutError"):
            fail(f"{self.call} never finished: the event loop was left with nothing to do but "
                 "wait forever (or kept scheduling work without end). Is something awaited that "
                 "nobody will ever complete, or a loop that never ends?" + (f" {hint}" if hint else ""),
                 Reason.HANG, obs=self, where=err.where)
        if err.is_a("BlockingError"):
            fail(f"{self.call} blocked the event loop: {err.message}{err.location}. "
                 f"While it waits, no other task can run. "
                 f"{teaching.blocking_cause(err.message, _plain(err.where))}",
                 Reason.BLOCKING, obs=self, where=err.where)
        fail(f"{self.call} raised {err}; expected it to return." + (f" {hint}" if hint else ""),
             where=err.where)

    def returned(self: Observation[HR], hint: str = "") -> Any:
        """What the student's function returned, as the scenario recorded it."""
        __tracebackhide__ = True
        self.expect_no_error(hint)
        return self.value.returned

    def result(self, hint: str = "") -> R:
        """The scenario's whole typed result, once it is known the call did not raise."""
        __tracebackhide__ = True
        self.expect_no_error(hint)
        return self.value

    def expect_raises(self, exc_type: str, hint: str = "") -> Raised:
        __tracebackhide__ = True
        if self.error is None:
            got = getattr(self.value, "returned", self.value)
            fail(f"{self.call} returned {show(got)}; expected it to raise {exc_type}."
                 + (f" {hint}" if hint else ""))
        if self.error.is_a("NotImplementedError") and exc_type != "NotImplementedError":
            self.expect_no_error()
        if not self.error.is_a(exc_type):
            fail(f"{self.call} raised {self.error}; expected {exc_type}." + (f" {hint}" if hint else ""),
                 where=self.error.where)
        return self.error

    # -- time on the loop's clock --------------------------------------------------------

    def expect_elapsed(self, expected: float, *, slow_hint: str, fast_hint: str,
                       tolerance: float = TOLERANCE) -> None:
        """Loop time (virtual: exact) within ``tolerance`` seconds of ``expected``."""
        __tracebackhide__ = True
        took = self.elapsed if self.elapsed is not None else math.nan
        if took > expected + tolerance:
            fail(f"{self.call} took {took:g} s of loop time; expected about {expected:g} s. {slow_hint}",
                 Reason.TIMING, obs=self)
        if took < expected - tolerance:
            fail(f"{self.call} took {took:g} s of loop time; expected about {expected:g} s. {fast_hint}",
                 Reason.TIMING, obs=self)

    # -- the loop's health ---------------------------------------------------------------

    def expect_not_blocking(self) -> None:
        __tracebackhide__ = True
        if self.blocking:
            b = self.blocking[0]
            fail(teaching.blocking(self.call, b.call, _plain(b.where)),
                 Reason.BLOCKING, obs=self, where=b.where)
        for s in self.stalls:
            if s.kind == "cpu":
                fail(teaching.busy_loop(self.call, _plain(s.where), s.cpu),
                     Reason.BUSY_LOOP, obs=self, where=s.where)
            fail(teaching.held(self.call, _plain(s.where), s.slept or s.wall
                               if s.kind == "blocked" else s.wall),
                 Reason.BLOCKING, obs=self, where=s.where)

    def expect_clean(self, hint: str = "") -> None:
        """Nothing left behind: tasks, timers, threads, processes, sockets, forgotten awaits."""
        __tracebackhide__ = True
        extra = f" {hint}" if hint else ""
        if self.never_awaited:
            fail(teaching.never_awaited(self.call, self.never_awaited[0]), Reason.LEAK)
        leaks = self.leaks
        if leaks.get("uncancellable"):
            fail(teaching.uncancellable(self.call, leaks["uncancellable"][0], extra), Reason.LEAK)
        if leaks.get("tasks"):
            fail(teaching.leftover_task(self.call, leaks["tasks"][0], extra), Reason.LEAK)
        if leaks.get("unretrieved"):
            fail(f"During {self.call}, {leaks['unretrieved'][0]}, and nobody retrieved that "
                 "exception. Await every task you create, or handle its result." + extra, Reason.LEAK)
        if leaks.get("timers"):
            fail(teaching.leftover_timer(self.call, leaks["timers"][0], extra), Reason.LEAK)
        if leaks.get("processes"):
            fail(f"After {self.call}, a child process was left behind: {leaks['processes'][0]}. "
                 "Wait for every process you start (`await proc.wait()`), also after killing "
                 "it." + extra, Reason.LEAK)
        if leaks.get("threads"):
            fail(teaching.leftover_thread(self.call, leaks["threads"][0], extra), Reason.LEAK)
        if leaks.get("sockets"):
            fail(f"After {self.call}, {len(leaks['sockets'])} socket(s) were still open. Close "
                 "what you open: `writer.close(); await writer.wait_closed()`." + extra, Reason.LEAK)
        unclosed = [w for w in self.warnings if w.startswith("ResourceWarning: unclosed")]
        if unclosed:
            fail(f"During {self.call}, something was left for the garbage collector to close: "
                 f"{unclosed[0][:200]}. Close what you open yourself (`writer.close(); await "
                 "writer.wait_closed()`, `transport.close()`, `with open(...)`)." + extra, Reason.LEAK)
        for error in self.loop_errors:
            exc = error.exception
            fail(f"During {self.call} the event loop reported: {error.message}"
                 + (f" ({exc})" if exc else "") + "." + extra, Reason.LEAK)
