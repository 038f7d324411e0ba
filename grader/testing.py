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
from typing import Any

import pytest

from . import teaching
from ._values import Opaque, Raised, decode, raised, show

__all__ = ["GradingFailure", "Observation", "Opaque", "Raised", "case", "expect_equal", "fail",
           "show"]


class GradingFailure(AssertionError):
    """A test's verdict, worded for the student."""


def fail(message: str) -> None:
    __tracebackhide__ = True
    raise GradingFailure(message)


def case(points: int, hidden: bool = True):
    """Points and visibility of one hidden-suite test (like Otter's ``test_case``)."""
    if not isinstance(points, int) or points < 0:
        raise ValueError("points must be a whole number >= 0")
    return pytest.mark.aiograde(points=points, hidden=hidden)


def expect_equal(actual: Any, expected: Any, call: str, hint: str = "") -> None:
    __tracebackhide__ = True
    if type(actual) is not type(expected) or actual != expected:
        fail(f"{call} returned {show(actual)}; expected {show(expected)}." + (f" {hint}" if hint else ""))


def _location(where: dict[str, Any] | None) -> str:
    if not where:
        return ""
    code = f" ({where['code']})" if where.get("code") else ""
    return f" at {where['file']}:{where['line']} in {where['function']}{code}"


@dataclass
class Observation:
    """What the child saw while a scenario ran, decoded. Nothing here is trusted to be true
    of the student's intent, only of what their code did."""

    call: str
    value: Any = None
    error: Raised | None = None
    elapsed: float | None = None
    wall: float | None = None
    leaks: dict[str, list[str]] = field(default_factory=dict)
    never_awaited: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loop_errors: list[dict[str, Any]] = field(default_factory=list)
    blocking: list[dict[str, Any]] = field(default_factory=list)
    stalls: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @classmethod
    def from_answer(cls, call: str, answer: dict[str, Any]) -> Observation:
        def strings(key: str) -> list[str]:
            return [str(s) for s in answer.get(key) or []]

        return cls(
            call=call, value=decode(answer.get("value")), error=raised(answer.get("error")),
            elapsed=answer.get("elapsed"), wall=answer.get("wall"),
            leaks={str(k): [str(x) for x in v] for k, v in (answer.get("leaks") or {}).items()},
            never_awaited=strings("never_awaited"), warnings=strings("warnings"),
            loop_errors=list(answer.get("loop_errors") or []),
            blocking=list(answer.get("blocking") or []), stalls=list(answer.get("stalls") or []),
            stdout=str(answer.get("stdout") or ""), stderr=str(answer.get("stderr") or ""),
        )

    # -- outcome -------------------------------------------------------------------------

    def expect_no_error(self, hint: str = "") -> None:
        __tracebackhide__ = True
        if self.error is None:
            return
        err = self.error
        if err.is_a("NotImplementedError"):
            fail(f"{self.call} raised NotImplementedError: this function is not implemented yet.")
        if err.type in ("IdleTimeoutError", "LoopTimeoutError"):
            fail(f"{self.call} never finished: the event loop was left with nothing to do but "
                 "wait forever (or kept scheduling work without end). Is something awaited that "
                 "nobody will ever complete, or a loop that never ends?" + (f" {hint}" if hint else ""))
        if err.is_a("BlockingError"):
            fail(f"{self.call} blocked the event loop: {err.message}{err.location}. "
                 "Use the asyncio equivalent (e.g. `await asyncio.sleep`) or move the call to a "
                 "thread with `await asyncio.to_thread(...)`.")
        fail(f"{self.call} raised {err}; expected it to return." + (f" {hint}" if hint else ""))

    def returned(self, key: str = "returned", hint: str = "") -> Any:
        """The scenario's record of what the student's function returned."""
        __tracebackhide__ = True
        self.expect_no_error(hint)
        return self.value[key]

    def expect_raises(self, exc_type: str, hint: str = "") -> Raised:
        __tracebackhide__ = True
        if self.error is None:
            got = self.value.get("returned") if isinstance(self.value, dict) else self.value
            fail(f"{self.call} returned {show(got)}; expected it to raise {exc_type}."
                 + (f" {hint}" if hint else ""))
        assert self.error is not None
        if self.error.is_a("NotImplementedError") and exc_type != "NotImplementedError":
            self.expect_no_error()
        if not self.error.is_a(exc_type):
            fail(f"{self.call} raised {self.error}; expected {exc_type}." + (f" {hint}" if hint else ""))
        return self.error

    # -- time on the loop's clock --------------------------------------------------------

    def expect_elapsed(self, expected: float, *, slow_hint: str, fast_hint: str,
                       tolerance: float = 0.01) -> None:
        """Loop time (virtual: exact) within ``tolerance`` seconds of ``expected``."""
        __tracebackhide__ = True
        took = self.elapsed if self.elapsed is not None else math.nan
        if took > expected + tolerance:
            fail(f"{self.call} took {took:g} s of loop time; expected about {expected:g} s. {slow_hint}")
        if took < expected - tolerance:
            fail(f"{self.call} took {took:g} s of loop time; expected about {expected:g} s. {fast_hint}")

    # -- the loop's health ---------------------------------------------------------------

    def expect_not_blocking(self) -> None:
        __tracebackhide__ = True
        if self.blocking:
            b = self.blocking[0]
            fail(teaching.blocking(self.call, b["call"], b.get("where")))
        for s in self.stalls:
            if s["kind"] == "cpu":
                fail(f"{self.call} kept the event loop busy for {s['cpu']:g} s of CPU in one step"
                     f"{_location(s.get('where'))}. A loop that spins (e.g. polling a clock) "
                     "starves every other task: await something instead.")
            fail(f"{self.call} held the event loop for {s['wall']:g} s in one step without using "
                 f"the CPU{_location(s.get('where'))}: a blocking call. Await it, or move it to a "
                 "thread with `await asyncio.to_thread(...)`.")

    def expect_clean(self, hint: str = "") -> None:
        """Nothing left behind: tasks, timers, threads, processes, sockets, forgotten awaits."""
        __tracebackhide__ = True
        extra = f" {hint}" if hint else ""
        if self.never_awaited:
            fail(teaching.never_awaited(self.call, self.never_awaited[0]))
        leaks = self.leaks
        if leaks.get("uncancellable"):
            fail(teaching.uncancellable(self.call, leaks["uncancellable"][0], extra))
        if leaks.get("tasks"):
            fail(teaching.leftover_task(self.call, leaks["tasks"][0], extra))
        if leaks.get("unretrieved"):
            fail(f"During {self.call}, {leaks['unretrieved'][0]}, and nobody retrieved that "
                 "exception. Await every task you create, or handle its result." + extra)
        if leaks.get("timers"):
            fail(teaching.leftover_timer(self.call, leaks["timers"][0], extra))
        if leaks.get("processes"):
            fail(f"After {self.call}, a child process was left behind: {leaks['processes'][0]}. "
                 "Wait for every process you start (`await proc.wait()`), also after killing "
                 "it." + extra)
        if leaks.get("threads"):
            fail(teaching.leftover_thread(self.call, leaks["threads"][0], extra))
        if leaks.get("sockets"):
            fail(f"After {self.call}, {len(leaks['sockets'])} socket(s) were still open. Close "
                 "what you open: `writer.close(); await writer.wait_closed()`." + extra)
        unclosed = [w for w in self.warnings if w.startswith("ResourceWarning: unclosed")]
        if unclosed:
            fail(f"During {self.call}, something was left for the garbage collector to close: "
                 f"{unclosed[0][:200]}. Close what you open yourself (`writer.close(); await "
                 "writer.wait_closed()`, `transport.close()`, `with open(...)`)." + extra)
        for error in self.loop_errors:
            exc = raised(error.get("exception"))
            fail(f"During {self.call} the event loop reported: {error.get('message')}"
                 + (f" ({exc})" if exc else "") + "." + extra)
