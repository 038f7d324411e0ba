"""Hidden suite: queues. ``process_all`` is driven by scripted ``handle`` calls on the virtual
clock: results, how many calls run at once and in how many tasks, the outcome of every call
when it returns or raises, and what it leaves behind."""

from grader._cancelled import expect_ends_cancelled, expect_work_finished
from grader._plugin import Student
from grader.scenarios import queues as sc
from grader.testing import TOLERANCE, Reason, case, expect_equal, fail, show

SLUG = "queues"


def _scripts(delays, values=None):
    values = values or [f"r{i}" for i in range(len(delays))]
    return [{"delay": d, "value": v} for d, v in zip(delays, values, strict=True)]


def _returned(obs):
    """What process_all returned; fails with a clear message if it raised or hung."""
    if obs.result().hung:
        fail(f"{obs.call} was still running after {sc.HANG_AFTER:g} s of loop time although "
             "every call of handle was done long before: is something awaited that never "
             "completes (a worker waiting on `queue.get()` that nobody cancels, a `join()` "
             "that never ends)?", Reason.HANG, obs=obs)
    if obs.value.failed is not None:
        fail(f"{obs.call} raised {obs.value.failed.raised}; expected it to return.")
    return obs.value.returned


def _raised(obs):
    """What process_all raised (the scripted error, possibly wrapped); fails if it returned."""
    if obs.result().hung:
        fail(f"{obs.call} hung: it was still waiting {sc.HANG_AFTER:g} s of loop time after "
             "handle raised. A worker whose handle raises never calls `task_done()` for its "
             "item, so `queue.join()` waits for ever: watch the workers too (a TaskGroup, or "
             "`asyncio.wait(..., return_when=FIRST_COMPLETED)`).", Reason.HANG, obs=obs)
    if obs.value.failed is None:
        fail(f"{obs.call} returned {show(obs.value.returned)}; expected the KeyError that "
             "handle raised to propagate.")
    return obs.value.failed


TEN = _scripts([1.0] * 10)
TEN_CALL = "process_all(10 items, handle taking 1 s each, workers=3)"


@case(points=1, hidden=False)
def test_results_in_the_order_of_items(student: Student):
    obs = student.run(sc.process_all, scripts=_scripts([3, 1, 2, 0.5], ["a", "b", "c", "d"]),
                      workers=2, call="process_all(4 items taking 3, 1, 2, 0.5 s, workers=2)")
    expect_equal(_returned(obs), ["a", "b", "c", "d"], obs.call,
                 "Results must follow the order of items, not the order in which calls finish: "
                 "put (index, item) on the queue and store each result at its index.")


@case(points=2, hidden=False)
def test_workers_calls_at_once(student: Student):
    obs = student.run(sc.process_all, scripts=TEN, workers=3, call=TEN_CALL)
    obs.expect_not_blocking()
    expect_equal(_returned(obs), [f"r{i}" for i in range(10)], obs.call)
    most = obs.value.most_at_once
    if most > 3:
        fail(f"{obs.call} ran {most} calls of handle at once; expected at most 3. Does each "
             "worker `await handle(item)` before it takes the next item?", Reason.TIMING, obs=obs)
    if most < 3:
        fail(f"{obs.call} ran at most {most} calls of handle at once; expected 3 while items "
             "wait. Are the workers started as tasks side by side (not awaited one after the "
             "other)?", Reason.TIMING, obs=obs)
    if obs.value.calls != 10:
        fail(f"{obs.call} called handle {obs.value.calls} times; expected 10, once per item.")
    obs.expect_elapsed(4.0, slow_hint="3 workers, 10 calls of 1 s: 4 s.",
                       fast_hint="Too fast: more than 3 calls ran at once.")


@case(points=1)
def test_a_free_worker_takes_the_next_item_at_once(student: Student):
    obs = student.run(sc.process_all, scripts=_scripts([3, 1, 1, 1, 1, 1, 1]), workers=3,
                      call="process_all(7 items taking 3, 1, 1, 1, 1, 1, 1 s, workers=3)")
    got = _returned(obs)
    if type(got) is not list or sorted(map(str, got)) != [f"r{i}" for i in range(7)]:
        fail(f"{obs.call} returned {show(got)}; expected ['r0', ..., 'r6'], one result per item.")
    obs.expect_elapsed(3.0, slow_hint="While one worker handles the 3 s item, the two others "
                       "take the 1 s items one after another: a free worker takes the next item "
                       "at once (no batches, no waiting for the slowest).",
                       fast_hint="Too fast: more than 3 calls ran at once.")
    few = student.run(sc.process_all, scripts=_scripts([1.0, 1.0]), workers=5,
                      call="process_all(2 items taking 1 s each, workers=5)")
    expect_equal(_returned(few), ["r0", "r1"], few.call)
    few.expect_elapsed(1.0, slow_hint="With more workers than items, every item is handled at "
                       "once.", fast_hint="Each call takes 1 s.")


@case(points=1)
def test_handle_runs_in_the_worker_tasks(student: Student):
    obs = student.run(sc.process_all, scripts=TEN, workers=3, call=TEN_CALL)
    expect_equal(_returned(obs), [f"r{i}" for i in range(10)], obs.call)
    n = obs.value.tasks_running_handle
    if n > 3:
        fail(f"{obs.call} ran handle in {n} different tasks; expected at most 3: the 3 worker "
             "tasks take item after item and call `await handle(item)` themselves (not one task "
             "per item, nor a new task for each call).")


@case(points=1)
def test_no_worker_left_running(student: Student):
    obs = student.run(sc.process_all, scripts=TEN, workers=3, call=TEN_CALL)
    expect_equal(_returned(obs), [f"r{i}" for i in range(10)], obs.call)
    left = obs.value.tasks_left
    if obs.value.tasks_left_cancelling:
        fail(f"After {obs.call} returned, {left} task(s) were still running, although they had "
             "been cancelled: `task.cancel()` only asks a task to stop. Await the cancelled "
             "workers (`await asyncio.gather(*workers, return_exceptions=True)`) before "
             "returning.", Reason.LEAK)
    if left:
        fail(f"After {obs.call} returned, {left} task(s) were still running. Workers that loop "
             "on `await queue.get()` never end on their own: cancel them (and await them) once "
             "the work is done, or send each one a stop marker.", Reason.LEAK)
    obs.expect_clean()


FAILING = [{"delay": 1.0, "raise": "KeyError", "message": "bad item"},
           {"delay": 10, "value": "x"}, {"delay": 10, "value": "y"}, {"delay": 10, "value": "z"}]
FAILING_CALL = ("process_all(4 items, workers=3) where handle raises KeyError('bad item') for "
                "item 0 after 1 s and takes 10 s for the others")


@case(points=1)
def test_a_failure_propagates_unwrapped(student: Student):
    obs = student.run(sc.process_all, scripts=FAILING, workers=3, call=FAILING_CALL)
    failed = _raised(obs)
    exc = failed.raised
    if failed.is_group:
        fail(f"{obs.call} raised {exc}; expected the KeyError itself, not an ExceptionGroup "
             "around it. A TaskGroup always wraps failures: catch the ExceptionGroup and raise "
             "its first exception.")
    if not exc.is_a("KeyError") or "bad item" not in exc.message:
        fail(f"{obs.call} raised {exc}; expected KeyError('bad item'), the exception handle "
             "raised.")
    if not failed.same_exception:
        fail(f"{obs.call} raised a KeyError, but not the one handle raised: let that same "
             "exception propagate.")


@case(points=1)
def test_a_failure_cancels_the_other_calls(student: Student):
    obs = student.run(sc.process_all, scripts=FAILING, workers=3, call=FAILING_CALL)
    failed = _raised(obs)
    if not (failed.same_exception or failed.group_holds_it):
        fail(f"{obs.call} raised {failed.raised}; expected the KeyError handle raised.")
    runs = obs.value.runs
    asked = obs.value.cancel_requested
    if asked:
        fail(f"{obs.call}: when it raised, the calls for items {asked} had been asked to cancel "
             "but had not finished yet: `task.cancel()` only requests it. Await the cancelled "
             "workers before raising.", Reason.LEAK)
    running = [r.index for r in runs if r.outcome == "running"]
    if running:
        fail(f"{obs.call}: when it raised, the calls for items {running} were still running. "
             "Cancel the other workers and wait until they have finished before raising.",
             Reason.LEAK)
    for run in runs[1:]:
        if run.outcome not in ("not started", "cancelled"):
            fail(f"{obs.call}: the call for item {run.index} was running when item 0 failed, "
                 f"but it ended as '{run.outcome}'; expected it to be cancelled.")
    if obs.value.at != 1.0:
        fail(f"{obs.call} raised after {obs.value.at:g} s of loop time; expected 1 s, at once "
             "when item 0 failed (the other calls are cancelled, not waited for).",
             Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1, hidden=False)
def test_rejects_fewer_than_one_worker(student: Student):
    for workers in (0, -2):
        obs = student.run(sc.process_all, scripts=_scripts([1.0, 1.0]), workers=workers,
                          call=f"process_all([0, 1], handle, workers={workers})")
        if obs.result().hung:
            fail(f"{obs.call} never finished; expected ValueError at once: with no worker, "
                 "nobody ever takes an item.", Reason.HANG, obs=obs)
        if obs.value.failed is None:
            fail(f"{obs.call} returned {show(obs.value.returned)}; expected ValueError: "
                 "workers must be at least 1.")
        exc = obs.value.failed.raised
        if not exc.is_a("ValueError"):
            fail(f"{obs.call} raised {exc}; expected ValueError.")
        if not exc.message.strip():
            fail(f"{obs.call} raised ValueError without a message; say what is wrong, e.g. "
                 "ValueError(f'workers must be at least 1, got {workers}').")
        if obs.value.calls:
            fail(f"{obs.call} called handle {obs.value.calls} times before raising "
                 "ValueError; check the arguments first.")
    one = student.run(sc.process_all, scripts=_scripts([1.0, 2.0]), workers=1,
                      call="process_all(2 items taking 1 s and 2 s, workers=1)")
    expect_equal(_returned(one), ["r0", "r1"], one.call, "workers=1 is valid: one worker.")


@case(points=1)
def test_no_items(student: Student):
    obs = student.run(sc.process_all, scripts=[], workers=3, call="process_all([], handle, "
                      "workers=3)")
    expect_equal(_returned(obs), [], obs.call)
    obs.expect_elapsed(0.0, slow_hint="With no items there is nothing to wait for.",
                       fast_hint="")


@case(points=1)
def test_cancelled_by_its_caller_waits_for_the_workers(student: Student):
    works = [{"delay": 10.0, "value": i, "cleanup": 0.5} for i in range(5)]
    obs = student.run(sc.process_all_cancelled, works=works, workers=2, cancel_at=1.0,
                      call="process_all(5 items, handle taking 10 s (0.5 s of cleanup when "
                           "cancelled), workers=2), its task cancelled after 1 s")
    v = expect_ends_cancelled(obs)
    expect_work_finished(obs, v.works, "the call of handle for item")
    late = [w.index for w in v.works if w.started is not None and w.started > 1.0]
    if late:
        fail(f"{obs.call}: handle was called for items {late} after the cancellation; once "
             "cancelled, the workers stop: start nothing new.")
    ended_at = v.caller.ended_at
    assert ended_at is not None  # it ended: expect_ends_cancelled checked it
    if abs(ended_at - 1.5) > TOLERANCE:
        fail(f"{obs.call}: its task ended {ended_at:g} s after the call; expected 1.5 s: "
             "cancelled at 1 s, then the 0.5 s the running calls need to clean up.",
             Reason.TIMING, obs=obs)
    obs.expect_clean()
