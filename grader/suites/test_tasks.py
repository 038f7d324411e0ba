"""Hidden suite: tasks. Work handed to the student's functions is scripted by the parent
and records, on the virtual clock, when it started, was cancelled, finished its cleanup
and ended; the heartbeat's log time-stamps every entry."""

from grader._cancelled import expect_ends_cancelled, expect_work_finished
from grader._plugin import Student
from grader.scenarios import tasks as sc
from grader.testing import TOLERANCE, Reason, case, expect_equal, fail, show

SLUG = "tasks"


def _work(spec):
    if "raise" in spec:
        text = f"{spec['raise']}({spec['message']!r}) after {spec['delay']:g} s"
    else:
        text = f"{spec.get('value')!r} after {spec['delay']:g} s"
    if spec.get("cleanup"):
        text += f", {spec['cleanup']:g} s of cleanup when cancelled"
    return f"<work: {text}>"


def _run_cancel_after(student: Student, work, delay):
    return student.run(sc.cancel_after, work=work, delay=delay,
                       call=f"cancel_after({_work(work)}, {delay:g})")


def _expect_bool(obs, expected, hint):
    returned = obs.returned()
    if type(returned) is not bool:
        fail(f"{obs.call} returned {show(returned)}; expected {expected} (a bool), not the "
             "work's result or the task.")
    expect_equal(returned, expected, obs.call, hint)


# -- cancel_after ------------------------------------------------------------------------

WAIT_HINT = ("`task.cancel()` only asks the task to stop: it ends later, after its cleanup. "
             "Wait until it has finished (`await asyncio.wait({task})`, or await it and catch "
             "CancelledError) before returning True.")


def _expect_cancelled(obs, work):
    if work.outcome == "running" and work.cancel_requested:
        fail(f"When {obs.call} returned True, the work, cancelled, was still running: it had "
             f"not seen CancelledError yet. {WAIT_HINT}", Reason.LEAK)
    if work.outcome == "running":
        fail(f"When {obs.call} returned True, the work was still running: it was never "
             "cancelled. Cancel it after `delay` (`task.cancel()`), then wait until it has "
             "finished before returning True.", Reason.LEAK)
    if work.outcome != "cancelled":
        fail(f"When {obs.call} returned, the work had {work.outcome}; expected it "
             "cancelled after `delay`.")


@case(points=1, hidden=False)
def test_cancel_after_cancels_slow_work(student: Student):
    obs = _run_cancel_after(student, {"delay": 10.0, "value": "late"}, 1.0)
    _expect_bool(obs, True, "Work still running after `delay` is cancelled, and the answer "
                 "is True.")
    _expect_cancelled(obs, obs.value.work)
    at = obs.value.returned_at
    if abs(at - 1.0) > TOLERANCE:
        fail(f"{obs.call} returned after {at:g} s; expected 1 s: give up after `delay`.",
             Reason.TIMING, obs=obs)


@case(points=1)
def test_cancel_after_waits_for_the_cleanup(student: Student):
    obs = _run_cancel_after(student, {"delay": 10.0, "value": "late", "cleanup": 0.5}, 2.0)
    _expect_bool(obs, True, "Work still running after `delay` is cancelled, and the answer "
                 "is True.")
    work = obs.value.work
    _expect_cancelled(obs, work)
    if work.cleaned is None or work.ended is None:
        fail(f"{obs.call} returned while the cancelled work was still cleaning up. "
             f"{WAIT_HINT}", Reason.LEAK)
    if work.cancelled is None or abs(work.cancelled - 2.0) > TOLERANCE:
        fail(f"{obs.call} cancelled the work {show(work.cancelled)} s after the call; "
             "expected after `delay`, 2 s.", Reason.TIMING, obs=obs)
    if abs(obs.value.returned_at - 2.5) > TOLERANCE:
        fail(f"{obs.call} returned after {obs.value.returned_at:g} s; expected 2.5 s: "
             "2 s of delay, then the 0.5 s the work needs to clean up.", Reason.TIMING, obs=obs)
    obs.expect_not_blocking()
    obs.expect_clean()


@case(points=1, hidden=False)
def test_cancel_after_returns_false_when_done_in_time(student: Student):
    obs = _run_cancel_after(student, {"delay": 0.5, "value": "done"}, 3.0)
    _expect_bool(obs, False, "Work that finishes within `delay` gives False.")
    if obs.value.work.outcome != "returned":
        fail(f"{obs.call}: the work was {obs.value.work.outcome}; expected it to run "
             "to its end.")
    at = obs.value.returned_at
    if abs(at - 0.5) > TOLERANCE:
        fail(f"{obs.call} returned after {at:g} s; expected 0.5 s, as soon as the work was "
             "done. Don't sleep out `delay`: wait on the task itself with a timeout "
             "(`asyncio.wait({task}, timeout=delay)`).", Reason.TIMING, obs=obs)
    obs.expect_clean()


def _expect_propagated(obs, exc_type, message, hint):
    err = obs.expect_raises(exc_type, hint)
    if message not in err.message:
        fail(f"{obs.call} raised {err}; expected the work's own {exc_type}({message!r}).")
    if obs.elapsed is None or abs(obs.elapsed - 0.5) > TOLERANCE:
        fail(f"{obs.call} raised {exc_type} after {show(obs.elapsed)} s; expected it at 0.5 s, "
             "the moment the work failed, not after `delay`. Wait on the task itself "
             "(`asyncio.wait({task}, timeout=delay)`), not with `asyncio.sleep(delay)`.",
             Reason.TIMING, obs=obs)


@case(points=1)
def test_cancel_after_propagates_the_works_error_at_once(student: Student):
    obs = _run_cancel_after(student, {"delay": 0.5, "raise": "ValueError",
                                      "message": "bad input"}, 3.0)
    _expect_propagated(obs, "ValueError", "bad input",
                       "If the work fails before `delay`, its exception propagates: "
                       "`task.result()` re-raises it.")
    obs.expect_clean()


@case(points=1)
def test_cancel_after_propagates_the_works_own_timeout(student: Student):
    obs = _run_cancel_after(student, {"delay": 0.5, "raise": "TimeoutError",
                                      "message": "upstream timed out"}, 3.0)
    _expect_propagated(obs, "TimeoutError", "upstream timed out",
                       "The work raised its own TimeoutError after 0.5 s, long before "
                       "`delay` (3 s): that is its failure, not your deadline, so it must "
                       "propagate. `asyncio.wait_for` cannot tell the two apart; "
                       "`asyncio.wait({task}, timeout=delay)` can.")


# -- heartbeat ---------------------------------------------------------------------------

# How long a cancelled heartbeat gets to end (loop seconds).
GRACE = 5.0


def _run_heartbeat(student: Student, interval, cancel_at):
    obs = student.run(sc.heartbeat, interval=interval, cancel_at=cancel_at, grace=GRACE,
                      call=f"heartbeat({interval:g}, log) run as a task and cancelled after "
                           f"{cancel_at:g} s")
    obs.expect_no_error()
    v = obs.value
    if v.ended_by_itself:
        fail(f"{obs.call}: the task ended by itself after {v.ended_at:g} s, with log "
             f"{show(v.log)}; expected it to beat forever until cancelled "
             "(`while True:`).")
    return obs, v


def _beats(entries):
    return [e for e in entries if e == "beat"]


@case(points=1, hidden=False)
def test_heartbeat_beats_every_interval(student: Student):
    obs, v = _run_heartbeat(student, 1.0, 3.5)
    before = v.before_cancel
    if before != ["beat"] * 3:
        extra = (" The first beat comes after one interval, not at once: wait, then beat."
                 if before[:1] == ["beat"] and len(before) == 4 else "")
        fail(f"{obs.call}: after 3.5 s the log was {show(before)}; expected exactly three "
             f"\"beat\" entries, one per second.{extra}")


@case(points=1)
def test_heartbeat_beats_on_schedule(student: Student):
    obs, v = _run_heartbeat(student, 0.25, 2.1)
    times = [s.at for s in v.times if s.entry == "beat" and s.at <= 2.1]  # before cancel()
    expected = [round(0.25 * k, 6) for k in range(1, 9)]
    if len(times) != len(expected) or any(abs(a - b) > TOLERANCE for a, b in
                                          zip(times, expected, strict=False)):
        fail(f"{obs.call}: beats were appended at {show(times)} s; expected at "
             f"{show(expected)} s, the k-th beat k * interval seconds after the call (the "
             "first one after one interval, not at once).", Reason.TIMING, obs=obs)
    obs.expect_not_blocking()


@case(points=1)
def test_heartbeat_appends_stopped_when_cancelled(student: Student):
    obs, v = _run_heartbeat(student, 1.0, 2.5)
    if "stopped" in v.log and "beat" in v.log[v.log.index("stopped"):]:
        fail(f"{obs.call}: the log was {show(v.log)}; expected ['beat', 'beat', 'stopped']. "
             "It went on beating after \"stopped\": the CancelledError was caught inside the "
             "loop, which then went on. Catch it around the whole loop, append \"stopped\", "
             "and re-raise it.")
    if v.log != ["beat", "beat", "stopped"]:
        fail(f"{obs.call}: the log was {show(v.log)}; expected ['beat', 'beat', 'stopped']: "
             "two beats, then \"stopped\" once, when cancelled (catch CancelledError, or use "
             "`finally`).")
    stopped = [s.at for s in v.times if s.entry == "stopped"]
    if abs(stopped[0] - 2.5) > TOLERANCE:
        fail(f"{obs.call}: \"stopped\" was appended {stopped[0]:g} s after the call; expected "
             "at 2.5 s, as soon as it was cancelled.", Reason.TIMING, obs=obs)


@case(points=1)
def test_heartbeat_ends_cancelled(student: Student):
    obs, v = _run_heartbeat(student, 1.0, 2.5)
    if not v.finished:
        fail(f"{obs.call}: {GRACE:g} s after task.cancel() the task was still running (log: "
             f"{show(v.log[-5:])}...). It swallowed the cancellation and went on: after "
             "appending \"stopped\", re-raise the CancelledError.")
    if v.raised is not None:
        fail(f"{obs.call}: the cancelled task ended with {v.raised}; expected it to end "
             "cancelled: append \"stopped\", then let the CancelledError propagate (`raise`).")
    if not v.cancelled:
        fail(f"{obs.call}: the task finished normally instead of ending cancelled "
             "(`task.cancelled()` is False). Catching CancelledError and returning hides the "
             "cancellation from whoever cancelled it: append \"stopped\", then `raise`.")
    if v.log != ["beat", "beat", "stopped"]:
        fail(f"{obs.call}: the log was {show(v.log)}; expected ['beat', 'beat', "
             "'stopped'].")
    obs.expect_clean()


@case(points=1)
def test_heartbeat_cancelled_before_the_first_beat(student: Student):
    obs, v = _run_heartbeat(student, 2.0, 1.0)
    if v.log != ["stopped"]:
        fail(f"{obs.call}: the log was {show(v.log)}; expected ['stopped']: no beat is due "
             "before 2 s, and cancelling appends \"stopped\".")
    if not v.cancelled:
        fail(f"{obs.call}: the task did not end cancelled; after appending \"stopped\", let "
             "the CancelledError propagate.")
    obs.expect_clean()


# -- first_completed ---------------------------------------------------------------------

def _run_first(student: Student, works):
    return student.run(sc.first_completed, works=works,
                       call=f"first_completed([{', '.join(_work(w) for w in works)}])")


def _expect_winner(obs, value, at, slow_hint):
    returned = obs.returned()
    expect_equal(returned, value, obs.call)
    took = obs.value.returned_at
    if abs(took - at) > TOLERANCE:
        fail(f"{obs.call} returned after {took:g} s; expected {at:g} s. {slow_hint}",
             Reason.TIMING, obs=obs)


@case(points=1, hidden=False)
def test_first_completed_skips_failures(student: Student):
    works = [{"delay": 5.0, "value": "slow"},
             {"delay": 0.5, "raise": "ValueError", "message": "early failure"},
             {"delay": 1.0, "value": "fast"}]
    obs = _run_first(student, works)
    if obs.error is not None and obs.error.is_a("ValueError"):
        fail(f"{obs.call} raised {obs.error}; expected 'fast'. A failure is ignored as long "
             "as another one can still succeed: keep waiting for the others.")
    _expect_started_together(obs, "'fast' at 1 s")
    _expect_winner(obs, "fast", 1.0, "It returns as soon as one succeeds.")


def _expect_started_together(obs, expected):
    """Every factory called at the start: if not, the race was run one after another."""
    if obs.error is not None:
        return
    works = obs.value.works
    late = [w.index for w in works if w.calls == 0 or (w.started or 0) > TOLERANCE]
    if late and len(late) < len(works):  # none started: not a race run in turn
        fail(f"{obs.call} returned {show(obs.value.returned)} after "
             f"{obs.value.returned_at:g} s; expected {expected}. The awaitables of factories "
             f"{late} were not started at the beginning: they ran one after another, so "
             "'first' meant 'first in the list'. Start every factory's awaitable as a task at "
             "once, then take the first that succeeds.", Reason.TIMING, obs=obs)


@case(points=1)
def test_first_completed_runs_all_at_once(student: Student):
    works = [{"delay": 3.0, "value": "slow"}, {"delay": 1.0, "value": "fast"},
             {"delay": 2.0, "value": "middle"}]
    obs = _run_first(student, works)
    _expect_winner(obs, "fast", 1.0, "Start every factory's awaitable as a task at once, then "
                   "take the first that succeeds; awaiting them one after another makes "
                   "'first' mean 'first in the list'.")
    for w in obs.value.works:
        if w.calls != 1 or w.started != 0:
            fail(f"{obs.call}: factory {w.index} was called {w.calls} times, first at "
                 f"{show(w.started)} s; expected every factory called once, all at the "
                 "start.", Reason.TIMING, obs=obs)


@case(points=1)
def test_first_completed_cancels_and_waits_for_the_others(student: Student):
    works = [{"delay": 1.0, "value": "win"},
             {"delay": 5.0, "value": "slow", "cleanup": 0.5},
             {"delay": 0.5, "raise": "RuntimeError", "message": "flaky"}]
    obs = _run_first(student, works)
    expect_equal(obs.returned(), "win", obs.call)
    slow = obs.value.works[1]
    if slow.outcome == "running":
        state = ("cancelled, had not seen CancelledError yet: `task.cancel()` only asks"
                 if slow.cancel_requested else "had never been cancelled")
        fail(f"When {obs.call} returned, the slow work was still running: it {state}. Cancel "
             "every other task, then wait for them to finish (`await asyncio.gather(*tasks, "
             "return_exceptions=True)` or `await asyncio.wait(tasks)`) before returning.",
             Reason.LEAK)
    if slow.outcome != "cancelled":
        fail(f"When {obs.call} returned, the slow work was {slow.outcome}; expected it "
             "cancelled and finished. Cancel every other task before returning.")
    if slow.cleaned is None:
        fail(f"{obs.call} returned while the cancelled slow work was still cleaning up. "
             "Cancelling only asks a task to stop: wait for the cancelled tasks to finish "
             "(`await asyncio.gather(*tasks, return_exceptions=True)` or "
             "`await asyncio.wait(tasks)`) before returning.", Reason.LEAK)
    took = obs.value.returned_at
    if abs(took - 1.5) > TOLERANCE:
        fail(f"{obs.call} returned after {took:g} s; expected 1.5 s: the winner at 1 s, then "
             "the 0.5 s the cancelled work needs to clean up.", Reason.TIMING, obs=obs)
    obs.expect_not_blocking()
    obs.expect_clean()


@case(points=1)
def test_first_completed_raises_the_last_failure(student: Student):
    works = [{"delay": 2.0, "raise": "KeyError", "message": "last"},
             {"delay": 1.0, "raise": "ValueError", "message": "first"},
             {"delay": 1.5, "raise": "RuntimeError", "message": "middle"}]
    obs = _run_first(student, works)
    hint = ("When every one fails, raise the exception of the one that failed last, in "
            "completion order (here the KeyError at 2 s), not the first failure or the "
            "last in the list.")
    err = obs.expect_raises("KeyError", hint)
    if "last" not in err.message:
        fail(f"{obs.call} raised {err}; expected KeyError('last'). {hint}")
    if obs.elapsed is None or abs(obs.elapsed - 2.0) > TOLERANCE:
        fail(f"{obs.call} raised after {show(obs.elapsed)} s; expected 2 s, when the last one "
             "failed.", Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_first_completed_rejects_an_empty_list(student: Student):
    obs = student.run(sc.first_completed, works=[], call="first_completed([])")
    err = obs.expect_raises("ValueError", "An empty race has no winner: raise ValueError "
                            "with a message.")
    if not err.message.strip():
        fail(f"{obs.call} raised ValueError without a message; say what is wrong, e.g. "
             "ValueError('factories is empty').")


# -- cancelled by the caller (the convention) ----------------------------------------------

@case(points=1)
def test_cancel_after_cancelled_by_its_caller_waits_for_the_work(student: Student):
    work = {"delay": 10.0, "value": "late", "cleanup": 0.5}
    obs = student.run(sc.cancel_after_cancelled, work=work, delay=5.0, cancel_at=1.0,
                      call=f"cancel_after({_work(work)}, 5), its task cancelled after 1 s")
    v = expect_ends_cancelled(obs)
    expect_work_finished(obs, [v.work], "the work")
    ended_at = v.caller.ended_at
    if ended_at is None or abs(ended_at - 1.5) > TOLERANCE:
        fail(f"{obs.call}: its task ended {show(ended_at)} s after the call; "
             "expected 1.5 s: cancelled at 1 s, then the 0.5 s the work needs to clean up.",
             Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_first_completed_cancelled_by_its_caller_waits_for_the_tasks(student: Student):
    works = [{"delay": 5.0, "value": "a", "cleanup": 0.5},
             {"delay": 6.0, "value": "b", "cleanup": 0.25}]
    obs = student.run(sc.first_completed_cancelled, works=works, cancel_at=1.0,
                      call=f"first_completed([{', '.join(_work(w) for w in works)}]), its "
                           "task cancelled after 1 s")
    v = expect_ends_cancelled(obs)
    expect_work_finished(obs, v.works, "work")
    obs.expect_clean()


@case(points=1)
def test_first_completed_with_one_factory(student: Student):
    obs = _run_first(student, [{"delay": 0.5, "value": "only"}])
    _expect_winner(obs, "only", 0.5, "It returns as soon as its one awaitable does.")
    obs = _run_first(student, [{"delay": 0.5, "raise": "ValueError", "message": "alone"}])
    err = obs.expect_raises("ValueError", "When the only one fails, its exception is the last "
                            "failure: raise it.")
    if "alone" not in err.message:
        fail(f"{obs.call} raised {err}; expected ValueError('alone').")
    obs.expect_clean()
