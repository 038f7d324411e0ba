"""Hidden suite: timeouts. Scripted work notes on the virtual clock when it started, saw
CancelledError, finished its cleanup and ended; the scenario notes what the student's
function gave back and the work's state at that very moment."""

from grader._cancelled import expect_ends_cancelled, expect_work_finished
from grader._plugin import Student
from grader.scenarios import timeouts as sc
from grader.testing import TOLERANCE, Reason, case, fail, show

SLUG = "timeouts"


def _works_line(works) -> str:
    parts = []
    for i, w in enumerate(works):
        text = f"attempt {i} started at {show(w.started)} s"
        if w.saw_cancel is not None:
            text += f", saw CancelledError at {w.saw_cancel:g} s"
        text += (f", ended {w.outcome} at {w.ended:g} s" if w.ended is not None
                 else f", was still {w.outcome}")
        parts.append(text)
    return "; ".join(parts) or "op() was never called"


def _got(v: sc.Outcome) -> str:
    if v.raised is None:
        return f"returned {show(v.returned)}"
    return f"raised {v.raised}"


def _expect_return(obs, expected, hint: str = ""):
    """The value the student's function returned (after ruling out every kind of raise)."""
    obs.expect_no_error(hint)
    v = obs.value
    extra = f" {hint}" if hint else ""
    if v.raised is not None and v.raised_by is None:
        fail(f"{obs.call} raised {v.raised} after {v.at:g} s; expected it to return "
             f"{show(expected)}.{extra}")
    if v.raised is not None:
        fail(f"{obs.call} raised {v.raised} (the work's exception) after {v.at:g} s; "
             f"expected it to return {show(expected)}.{extra}")
    got = v.returned
    if type(got) is not type(expected) or got != expected:
        fail(f"{obs.call} returned {show(got)}; expected {show(expected)}.{extra}")
    return v


# -- with_timeout ------------------------------------------------------------------------------


@case(points=1, hidden=False)
def test_fast_work_returns_at_once(student: Student):
    obs = student.run(sc.with_timeout, work={"delay": 1.0, "value": "done"}, time_limit=5.0,
                      default="default",
                      call="with_timeout(work that returns 'done' after 1 s, 5.0, 'default')")
    obs.expect_not_blocking()
    _expect_return(obs, "done", "The work finished in time, so its result is the answer.")
    obs.expect_elapsed(1.0, slow_hint="Return as soon as the work is done; do not wait out "
                       "the timeout.", fast_hint="Wait for the work to finish.")


@case(points=1, hidden=False)
def test_slow_work_gives_the_default_at_the_deadline(student: Student):
    obs = student.run(sc.with_timeout, work={"delay": 100.0, "value": "too late"}, time_limit=2.0,
                      default="default",
                      call="with_timeout(work that needs 100 s, 2.0, 'default')")
    _expect_return(obs, "default", "When the timeout expires, return the default "
                   "(`async with asyncio.timeout(timeout):` raises TimeoutError at the deadline).")
    obs.expect_elapsed(2.0, slow_hint="Give up at the deadline, not later.",
                       fast_hint="Give the work its full `timeout` seconds.")


@case(points=1)
def test_timed_out_work_has_finished_before_return(student: Student):
    obs = student.run(sc.with_timeout, work={"delay": 100.0, "value": "too late", "cleanup": 0.5},
                      time_limit=2.0, default="default",
                      call="with_timeout(work that needs 100 s and cleans up for 0.5 s when "
                           "cancelled, 2.0, 'default')")
    v = _expect_return(obs, "default")
    work = v.works[0]
    if work.started is None:
        fail(f"{obs.call} returned the default at {v.at:g} s without ever running the work: "
             "await it under the deadline (`async with asyncio.timeout(timeout): return await aw`).")
    if work.saw_cancel is None and work.cancel_requested:
        fail(f"{obs.call} returned the default at {v.at:g} s while the work, cancelled, was "
             f"still {work.outcome}: it had not seen CancelledError yet. task.cancel() only "
             "asks: wait until the cancelled work has finished before returning "
             "(`asyncio.timeout` and `wait_for` do both).", Reason.LEAK)
    if work.saw_cancel is None:
        fail(f"{obs.call} returned the default at {v.at:g} s while the work was still "
             f"{work.outcome}: it was never cancelled. Cancel the work when time runs out, "
             "and wait until it has finished (`asyncio.timeout` and `wait_for` do both).",
             Reason.LEAK)
    if work.outcome != "cancelled" or work.ended is None or work.ended > v.at:
        fail(f"{obs.call} returned the default at {v.at:g} s; the work saw CancelledError at "
             f"{work.saw_cancel:g} s but was still {work.outcome} then. Wait until the "
             "cancelled work has finished its cleanup (await it after cancelling) before "
             "returning.", Reason.LEAK)
    obs.expect_elapsed(2.5, slow_hint="Return as soon as the cancelled work has finished.",
                       fast_hint="Wait for the cancelled work's cleanup.")


@case(points=1)
def test_the_works_own_exceptions_propagate(student: Student):
    for kind, message in (("TimeoutError", "the work's own timeout"), ("ValueError", "bad input")):
        obs = student.run(sc.with_timeout,
                          work={"delay": 0.5, "raise": kind, "message": message},
                          time_limit=5.0, default="default",
                          call=f"with_timeout(work that raises {kind}({message!r}) after 0.5 s, "
                               "5.0, 'default')")
        obs.expect_no_error()
        v = obs.value
        if v.raised is None:
            hint = ("Only the expiry of with_timeout's own deadline gives the default; tell the "
                    "two apart (`asyncio.timeout(...)` as cm: `cm.expired()`)."
                    if kind == "TimeoutError" else "Let the work's exception propagate.")
            fail(f"{obs.call} returned {show(v.returned)}; expected the work's {kind} to "
                 f"propagate. {hint}")
        if v.raised_by is None:
            fail(f"{obs.call} raised {v.raised}; expected the work's own {kind} to "
                 "propagate unchanged (the same exception object, not a new one).")
        if abs(v.at - 0.5) > TOLERANCE:
            fail(f"{obs.call} raised the work's {kind} after {v.at:g} s; the work raised it "
                 "at 0.5 s: let it through at once.", Reason.TIMING, obs=obs)


@case(points=1)
def test_with_timeout_leaves_nothing_behind(student: Student):
    fast = student.run(sc.with_timeout, work={"delay": 1.0, "value": "done"}, time_limit=5.0,
                       default="default",
                       call="with_timeout(work that returns 'done' after 1 s, 5.0, 'default')")
    _expect_return(fast, "done")
    fast.expect_clean("Cancel any timer or task of your own before returning.")
    slow = student.run(sc.with_timeout, work={"delay": 100.0, "value": "too late"}, time_limit=2.0,
                       default="default",
                       call="with_timeout(work that needs 100 s, 2.0, 'default')")
    _expect_return(slow, "default")
    slow.expect_clean("On timeout, cancel the work and wait until it has finished.")


# -- retry ---------------------------------------------------------------------------------------

FAIL_NOW = {"raise": "OSError", "message": "not yet"}


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= TOLERANCE


@case(points=1, hidden=False)
def test_retry_backs_off_exponentially(student: Student):
    obs = student.run(sc.retry, plan=[FAIL_NOW, FAIL_NOW, FAIL_NOW, {"value": "ok"}], attempts=5,
                      time_limit=10.0, backoff=0.5,
                      call="retry(op that fails 3 times with OSError and then returns 'ok', "
                           "attempts=5, timeout=10, backoff=0.5)")
    obs.expect_not_blocking()
    v = _expect_return(obs, "ok", "The fourth attempt succeeds.")
    starts = [w.started for w in v.works]
    expected = [0.0, 0.5, 1.5, 3.5]
    if len(starts) != len(expected) or not all(map(_close, starts, expected)):
        fail(f"{obs.call}: attempts started at {[s and round(s, 3) for s in starts]} s; expected "
             f"{expected}: after failed attempt i (from 0) wait backoff * 2 ** i, that is 0.5, "
             "1 and 2 s.", Reason.TIMING, obs=obs)
    obs.expect_elapsed(3.5, slow_hint="Return the first success at once.", fast_hint="")


@case(points=1)
def test_retry_gives_each_attempt_its_own_timeout(student: Student):
    own = ("Each attempt gets its own `timeout` seconds: open a fresh `asyncio.timeout(timeout)` "
           "(or `wait_for`) around each attempt, not one around them all.")
    slow_fail = {"delay": 1.5, "raise": "OSError", "message": "slow failure"}
    obs = student.run(sc.retry, plan=[slow_fail, slow_fail, {"delay": 1.5, "value": "ok"}],
                      attempts=3, time_limit=2.0, backoff=0.25,
                      call="retry(op that takes 1.5 s each time, failing twice then returning "
                           "'ok', attempts=3, timeout=2, backoff=0.25)")
    v = _expect_return(obs, "ok", own)
    for i, w in enumerate(v.works):
        if w.saw_cancel is not None:
            fail(f"{obs.call}: {_works_line(v.works)}. Attempt {i} needed only 1.5 s of its "
                 f"2 s but was cancelled. {own}", Reason.TIMING, obs=obs)

    hang = {"delay": 100.0, "value": "too late", "cleanup": 0.5}
    obs = student.run(sc.retry, plan=[hang, {"delay": 1.0, "value": "ok"}], attempts=2,
                      time_limit=2.0, backoff=0.25,
                      call="retry(op whose first attempt hangs (cleaning up for 0.5 s when "
                           "cancelled) and second returns 'ok' after 1 s, attempts=2, timeout=2, "
                           "backoff=0.25)")
    v = _expect_return(obs, "ok", "An attempt that times out is cancelled and counts as a "
                       "failure; then the next attempt follows.")
    first, second = v.works[0], v.works[-1]
    if first.saw_cancel is None or not _close(first.saw_cancel - first.started, 2.0):
        fail(f"{obs.call}: {_works_line(v.works)}. The first attempt must be cancelled when "
             "its 2 s are up.", Reason.TIMING, obs=obs)
    if len(v.works) != 2 or first.ended is None or second.started < first.ended - 1e-6:
        fail(f"{obs.call}: {_works_line(v.works)}. The next attempt started while the "
             "timed-out one was still cleaning up: wait until it has finished before the backoff "
             "(`asyncio.timeout` and `wait_for` do).", Reason.TIMING, obs=obs)

    obs = student.run(sc.retry, plan=[{"delay": 100.0, "value": "too late"}], attempts=2,
                      time_limit=1.0, backoff=1.0,
                      call="retry(op that always hangs, attempts=2, timeout=1, backoff=1)")
    obs.expect_no_error()
    v = obs.value
    err = v.raised if v.raised_by is None else None
    if err is None or not err.is_a("TimeoutError"):
        fail(f"{obs.call} {_got(v)}; expected TimeoutError: every attempt timed out, and the last "
             "attempt's exception is that TimeoutError.")
    works = v.works
    if len(works) != 2 or not all(w.saw_cancel is not None and w.started is not None
                                  and _close(w.saw_cancel - w.started, 1.0) for w in works):
        fail(f"{obs.call}: {_works_line(works)}. Expected two attempts, each cancelled after its "
             "own 1 s.", Reason.TIMING, obs=obs)


@case(points=1)
def test_retry_gives_up_with_the_last_exception(student: Student):
    plan = [{"raise": "ValueError", "message": m} for m in ("first", "second", "last")]
    obs = student.run(sc.retry, plan=plan, attempts=3, time_limit=10.0, backoff=1.0,
                      call="retry(op that raises ValueError('first'), then ('second'), then "
                           "('last'), attempts=3, timeout=10, backoff=1)")
    obs.expect_no_error()
    v = obs.value
    if v.raised is None:
        fail(f"{obs.call} returned {show(v.returned)}; when every attempt fails, expected "
             "the last attempt's exception to be raised.")
    if v.raised_by is None:
        fail(f"{obs.call} raised {v.raised}; expected the last attempt's own exception, "
             "ValueError('last'), unchanged.")
    works = v.works
    if len(works) != 3:
        fail(f"{obs.call} called op {len(works)} times; expected exactly 3 attempts.")
    if v.raised_by != 2:
        fail(f"{obs.call} raised {v.raised}, the exception of attempt {v.raised_by}; "
             "expected the last attempt's: ValueError('last').")
    if not _close(works[-1].ended, v.at):
        fail(f"{obs.call} raised at {v.at:g} s, though the last attempt failed at "
             f"{show(works[-1].ended)} s. No attempt follows the last one: raise at once, "
             "without a backoff.", Reason.TIMING, obs=obs)


@case(points=1)
def test_retry_lets_cancellation_through_at_once(student: Student):
    runs = [
        ("during an attempt", [{"delay": 5.0, "value": "ok"}], 10.0),
        ("during a backoff", [FAIL_NOW], 5.0),
    ]
    for when, plan, backoff in runs:
        obs = student.run(sc.retry_cancelled, plan=plan, attempts=3, time_limit=10.0,
                          backoff=backoff, cancel_at=1.0,
                          call=f"retry(op, attempts=3, timeout=10, backoff={backoff:g}) run as a "
                               f"task, cancelled by its caller after 1 s ({when})")
        obs.expect_no_error()
        v = obs.value
        if not v.works or not _close(v.works[0].started, 0.0):
            fail(f"{obs.call}: op was not called at once ({_works_line(v.works)}); the first "
                 "attempt starts as soon as retry is called.", Reason.TIMING, obs=obs)
        if v.done_before_cancel:
            fail(f"{obs.call}: retry had already ended before the cancellation: "
                 f"{_works_line(v.works)}.")
        if v.ended_as != "cancelled":
            got = {"returned": f"returned {show(v.returned)}",
                   "raised": f"raised {v.raised}"}.get(v.ended_as, "never ended")
            at = f" at {v.ended:g} s" if v.ended is not None else ""
            fail(f"{obs.call} {got}{at} instead of ending cancelled at 1 s "
                 f"({_works_line(v.works)}). CancelledError is not a failure to retry: catch "
                 "`Exception`, never `BaseException` or a bare `except:`.")
        late = [w for w in v.works if w.started is not None and w.started > 1.0]
        if v.ended is None or not _close(v.ended, 1.0) or late:
            fail(f"{obs.call} ended at {v.ended} s ({_works_line(v.works)}); expected it "
                 "to end at once, at 1 s, with no further attempt.", Reason.TIMING, obs=obs)
        # What retry leaves behind when cancelled is not part of its contract: not checked.


@case(points=1)
def test_retry_rejects_no_attempts(student: Student):
    for attempts in (0, -1):
        obs = student.run(sc.retry, plan=[{"value": "ok"}], attempts=attempts, time_limit=1.0,
                          backoff=1.0, call=f"retry(op, attempts={attempts}, timeout=1, backoff=1)")
        obs.expect_no_error()
        v = obs.value
        err = v.raised if v.raised_by is None else None
        if err is None:
            fail(f"{obs.call} {_got(v)}; expected ValueError: attempts < 1 must be rejected.")
        if not err.is_a("ValueError"):
            fail(f"{obs.call} raised {err}; expected ValueError.")
        if not err.message.strip():
            fail(f"{obs.call} raised ValueError without a message; say what is wrong, e.g. "
                 "ValueError(f'attempts must be at least 1, got {attempts}').")
        if v.works:
            fail(f"{obs.call} raised ValueError but called op {len(v.works)} time(s) first; "
                 "check the arguments before doing anything.")
        obs.expect_clean()


@case(points=1)
def test_retry_with_one_attempt(student: Student):
    obs = student.run(sc.retry, plan=[{"delay": 0.5, "value": "ok"}], attempts=1, time_limit=1.0,
                      backoff=1.0, call="retry(op returning 'ok' after 0.5 s, attempts=1, "
                                        "timeout=1, backoff=1)")
    _expect_return(obs, "ok", "One attempt is allowed: only attempts < 1 is refused.")
    obs = student.run(sc.retry, plan=[FAIL_NOW, {"value": "too late"}], attempts=1,
                      time_limit=1.0, backoff=1.0,
                      call="retry(op failing with OSError('not yet'), attempts=1, timeout=1, "
                           "backoff=1)")
    obs.expect_no_error()
    v = obs.value
    if v.raised_by is None:  # it returned, or raised something not the attempt's own
        fail(f"{obs.call} {_got(v)} ({_works_line(v.works)}); expected the OSError of its "
             "one attempt, at once: with attempts=1 there is no retry and no backoff.")
    if len(v.works) != 1 or not _close(v.at, 0.0):
        fail(f"{obs.call} raised at {v.at:g} s ({_works_line(v.works)}); expected one "
             "attempt and the OSError at once, with no backoff after the last attempt.",
             Reason.TIMING, obs=obs)


# -- cancelled by the caller (the convention) ----------------------------------------------

@case(points=1)
def test_with_timeout_cancelled_by_its_caller_waits_for_the_work(student: Student):
    work = {"delay": 10.0, "value": "late", "cleanup": 0.5}
    obs = student.run(sc.with_timeout_cancelled, work=work, time_limit=5.0, cancel_at=1.0,
                      call="with_timeout(<work: 'late' after 10 s, 0.5 s of cleanup when "
                           "cancelled>, 5, None), its task cancelled after 1 s")
    v = expect_ends_cancelled(obs)
    w = v.work
    if w.saw_cancel is None:
        fail(f"{obs.call}: the work never saw CancelledError (it was {w.outcome}); when the "
             "caller cancels with_timeout, the work it waits for is cancelled too.",
             Reason.LEAK)
    expect_work_finished(obs, [w], "the work")
    ended_at = v.caller.ended_at
    if ended_at is None or abs(ended_at - 1.5) > TOLERANCE:
        fail(f"{obs.call}: its task ended {show(ended_at)} s after the call; expected 1.5 s: "
             "cancelled at 1 s, then the 0.5 s the work needs to clean up.",
             Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_retry_cancelled_by_its_caller_waits_for_the_attempt(student: Student):
    obs = student.run(sc.retry_cancelled, plan=[{"delay": 5.0, "value": "ok", "cleanup": 0.5}],
                      attempts=3, time_limit=10.0, backoff=1.0, cancel_at=1.0,
                      call="retry(op taking 5 s (0.5 s of cleanup when cancelled), attempts=3, "
                           "timeout=10, backoff=1) run as a task, cancelled by its caller after "
                           "1 s")
    obs.expect_no_error()
    v = obs.value
    if v.ended_as != "cancelled":
        fail(f"{obs.call}: its task did not end cancelled ({v.ended_as}; "
             f"{_works_line(v.works)}). Let the CancelledError propagate.")
    works = v.works
    if len(works) != 1 or works[0].ended is None or v.ended is None \
            or works[0].ended > v.ended + 1e-6 or not _close(v.ended, 1.5):
        fail(f"{obs.call}: its task ended at {v.ended} s ({_works_line(works)}); expected "
             "at 1.5 s, once the attempt in progress, cancelled at 1 s, had finished its 0.5 s "
             "of cleanup, and with no further attempt.", Reason.TIMING, obs=obs)
    obs.expect_clean()
