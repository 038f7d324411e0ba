"""Parent-side checks of the convention "Cancelled by its caller" (``curriculum.md``): the
task awaiting the student's function is cancelled once; the function must cancel what it
started, wait until that has finished, and then let the cancellation propagate.

API (typed results; child side in ``grader.scenarios._common``):

- Scenario (child): ``caller = await cancelled_by_caller(start, cancel_at, grace)``
  returns a ``CallerEnd[None]``; with ``on_end=snapshot`` (a ``Callable[[], T]`` called
  from the task's done-callback the moment it ends) a ``CallerEnd[T]`` whose ``at_end``
  is that snapshot (``None`` when the task never ended). ``CallerEnd`` fields:
  ``ended_early``, ``finished``, ``cancelled`` (bool), ``raised``, ``returned`` (Any),
  ``ended_at`` (float | None), ``at_end`` (T | None). The scenario's result holds it in
  a field named ``caller``::

      class ProcessAllCancelled(Result):
          caller: CallerEnd[None]
          works: list[WorkReport]

- Suite (parent): ``v = expect_ends_cancelled(obs)`` checks the caller's task ended
  cancelled (no error, not early, not never, neither raised nor returned) and returns
  ``obs.value`` (its own type, e.g. ``ProcessAllCancelled``); then
  ``expect_work_finished(obs, v.works, "the call of handle for item")`` checks every
  piece of work (anything with ``outcome: str``, ``started`` and ``ended``: ``float |
  None``) had finished, cleanup included, by the time the caller's task ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from .scenarios._common import CallerEnd
from .testing import Observation, Reason, fail, show

PROPAGATE = ("When your caller cancels you, cancel what you started, wait until it has "
             "finished, then let the CancelledError go on (`raise`); `async with "
             "asyncio.TaskGroup()` does all three for the tasks it holds.")


class HasCaller(Protocol):
    """A scenario result that records how the caller's task ended."""

    @property
    def caller(self) -> CallerEnd[Any]: ...


class WorkLike(Protocol):
    """A scenario's report of one piece of work the student's function started."""

    @property
    def outcome(self) -> str: ...  # "not started" | "running" | "returned" | "raised" | ...

    @property
    def started(self) -> float | None: ...

    @property
    def ended(self) -> float | None: ...


HC = TypeVar("HC", bound=HasCaller)


def expect_ends_cancelled(obs: Observation[HC]) -> HC:
    """The caller's task ended *cancelled*, neither early, nor with a value or an error,
    nor never. Returns the scenario's result."""
    __tracebackhide__ = True
    v = obs.result()
    caller = v.caller
    if caller.ended_early:
        outcome = (f"raised {caller.raised}" if caller.raised is not None
                   else f"returned {show(caller.returned)}")
        fail(f"{obs.call}: it {outcome} before its task was cancelled, though what it "
             "waits for was still running; it must wait for it.")
    if not caller.finished:
        fail(f"{obs.call}: its task was cancelled, and it was still running long after: "
             "either it swallowed the cancellation and went on, or it is waiting for "
             "something it started and did not stop (cancel the tasks, kill the programs) "
             f"before waiting for it. {PROPAGATE}", Reason.HANG, obs=obs)
    if caller.raised is not None:
        fail(f"{obs.call}: its task, cancelled by the caller, ended with {caller.raised} "
             f"instead of ending cancelled. {PROPAGATE}")
    if not caller.cancelled:
        fail(f"{obs.call}: its task, cancelled by the caller, returned "
             f"{show(caller.returned)} instead of ending cancelled: the CancelledError was "
             f"swallowed. {PROPAGATE}")
    return v


def expect_work_finished(obs: Observation[HC], works: Sequence[WorkLike], what: str) -> None:
    """Every piece of work the function started had finished, its cleanup included, by the
    time the caller's task ended (check :func:`expect_ends_cancelled` first). Work never
    started, or done before the cancellation, is fine."""
    __tracebackhide__ = True
    ended_at = obs.value.caller.ended_at
    if ended_at is None:  # never ended: expect_ends_cancelled says so
        expect_ends_cancelled(obs)
        return
    for i, work in enumerate(works):
        name = what if len(works) == 1 else f"{what} #{i}"
        if work.started is None or work.outcome in ("returned", "raised"):
            continue
        if work.outcome == "running":
            fail(f"{obs.call}: when its task ended (cancelled, {ended_at:g} s after the "
                 f"call), {name} was still running: it was never cancelled. {PROPAGATE}",
                 Reason.LEAK, obs=obs)
        if work.ended is None or work.ended > ended_at + 1e-6:
            fail(f"{obs.call}: its task ended (cancelled) {ended_at:g} s after the call, "
                 f"while {name}, cancelled, was still cleaning up. `task.cancel()` only "
                 "asks: wait until what you cancelled has finished (`await "
                 "asyncio.wait(tasks)` or `await asyncio.gather(*tasks, "
                 "return_exceptions=True)`) before letting your own cancellation go on.",
                 Reason.LEAK, obs=obs)
