"""Parent-side checks of the convention "Cancelled by its caller" (``curriculum.md``): the
task awaiting the student's function is cancelled once; the function must cancel what it
started, wait until that has finished, and then let the cancellation propagate.

The scenarios report the caller's task with ``scenarios._common.cancelled_by_caller`` and
what the function started in their own terms; these checks read both.
"""

from __future__ import annotations

from typing import Any

from .testing import Observation, fail, show

PROPAGATE = ("When your caller cancels you, cancel what you started, wait until it has "
             "finished, then let the CancelledError go on (`raise`); `async with "
             "asyncio.TaskGroup()` does all three for the tasks it holds.")


def expect_ends_cancelled(obs: Observation) -> dict[str, Any]:
    """The caller's task ended *cancelled*, neither early, nor with a value or an error,
    nor never. Returns the scenario's record."""
    __tracebackhide__ = True
    obs.expect_no_error()
    v: dict[str, Any] = obs.value
    if v["ended_early"]:
        outcome = (f"raised {v['raised']}" if v["raised"] is not None
                   else f"returned {show(v['returned'])}")
        fail(f"{obs.call}: it {outcome} before its task was cancelled, though what it "
             "waits for was still running; it must wait for it.")
    if not v["finished"]:
        fail(f"{obs.call}: its task was cancelled, and it was still running long after: "
             "either it swallowed the cancellation and went on, or it is waiting for "
             "something it started and did not stop (cancel the tasks, kill the programs) "
             f"before waiting for it. {PROPAGATE}")
    if v["raised"] is not None:
        fail(f"{obs.call}: its task, cancelled by the caller, ended with {v['raised']} "
             f"instead of ending cancelled. {PROPAGATE}")
    if not v["cancelled"]:
        fail(f"{obs.call}: its task, cancelled by the caller, returned "
             f"{show(v['returned'])} instead of ending cancelled: the CancelledError was "
             f"swallowed. {PROPAGATE}")
    return v


def expect_work_finished(obs: Observation, works: list[dict[str, Any]], what: str) -> None:
    """Every piece of work the function started (a scenario's report of it: ``outcome``,
    ``started``, ``ended``) had finished, its cleanup included, by the time the caller's
    task ended. Work never started, or done before the cancellation, is fine."""
    __tracebackhide__ = True
    ended_at = obs.value["ended_at"]
    for i, work in enumerate(works):
        name = what if len(works) == 1 else f"{what} #{i}"
        if work.get("started") is None or work["outcome"] in ("returned", "raised"):
            continue
        if work["outcome"] == "running":
            fail(f"{obs.call}: when its task ended (cancelled, {ended_at:g} s after the "
                 f"call), {name} was still running: it was never cancelled. {PROPAGATE}")
        if work.get("ended") is None or work["ended"] > ended_at + 1e-6:
            fail(f"{obs.call}: its task ended (cancelled) {ended_at:g} s after the call, "
                 f"while {name}, cancelled, was still cleaning up. `task.cancel()` only "
                 "asks: wait until what you cancelled has finished (`await "
                 "asyncio.wait(tasks)` or `await asyncio.gather(*tasks, "
                 "return_exceptions=True)`) before letting your own cancellation go on.")
