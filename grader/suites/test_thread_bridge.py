"""Hidden suite: thread_bridge. Real threads on a real-clock loop, so concurrency is proven
structurally, not by tight wall-clock bounds: a ping the delivering thread sends to the loop
while the student's coroutine waits (a blocked loop cannot answer), the loop's iterations
counted during the wait (polling wakes it again and again), and a timer that wakes the loop a
second and a half after the value was due, or a wake-up at once when the callback is seen to
leave the loop asleep (a value that only arrives then was handed over without waking the
loop). ``call_async_from_thread`` runs in a thread of the scenario beside the running loop;
``fn`` records the loop and thread it ran on and whether it was cancelled."""

from grader._plugin import Student
from grader.scenarios import thread_bridge as sc
from grader.testing import Reason, case, expect_equal, fail, show

SLUG = "thread_bridge"

POLLING_LIMIT = 5  # loop iterations while waiting; an honest wait needs 1 or 2 (our ping)


# What can go wrong with one call, whatever else runs beside it, named (testing.fail's
# ``cause``): a later test that fails the same way is told as caused by the first one.
STARTS = "result_from_thread does not call start(callback) exactly once"
CALLBACK_RAISES = "the callback raises in the thread that calls it"
NEVER_RETURNS = "result_from_thread never returns, though the thread called back"
WRONG_VALUE = "result_from_thread does not return the object the thread delivered"


def _fault(what, call, value, delay):
    """How one result_from_thread call went wrong, as ``fail``'s arguments, or None."""
    if call.starts != 1:
        return (f"{what} called start(callback) {call.starts} times; expected exactly once.",
                Reason.WRONG, STARTS)
    if call.callback_error is not None:
        return (f"{what}: when the thread called the callback, it raised "
                f"{call.callback_error}. The callback runs on another thread: it may only "
                "hand the value over to the loop, with `loop.call_soon_threadsafe(...)`.",
                Reason.WRONG, CALLBACK_RAISES)
    if call.hung:
        return (f"{what}: the thread called back after {delay:g} s, but result_from_thread "
                f"still had not returned {sc.NUDGE_AFTER + sc.HANG_AFTER:g} s later, even "
                "once the loop had been woken up. Is the value handed over to what the "
                "coroutine awaits?", Reason.HANG, NEVER_RETURNS)
    if call.returned != {"value": value} or not call.same_object:
        return (f"{what} returned {show(call.returned)}; expected the object the thread "
                f"passed to the callback ({show({'value': value})}), as it is.",
                Reason.WRONG, WRONG_VALUE)
    return None


def _one_call(obs, value, delay):
    """The record of a single result_from_thread call; fails unless it returned ``value``."""
    (call,) = obs.result().calls
    fault = _fault(obs.call, call, value, delay)
    if fault is not None:
        message, reason, cause = fault
        fail(message, reason, obs=obs, cause=cause)
    return call


@case(points=1, hidden=False)
def test_result_from_thread_returns_the_value(student: Student):
    obs = student.run(sc.result_from_thread, values=["from the thread"], delays=[0.05],
                      call="result_from_thread(start), where start's thread calls back after "
                           "0.05 s")
    _one_call(obs, "from the thread", 0.05)


@case(points=1)
def test_result_from_thread_wakes_the_loop(student: Student):
    obs = student.run(sc.result_from_thread, values=[42], delays=[0.15],
                      call="result_from_thread(start), where start's thread calls back after "
                           "0.15 s")
    call = _one_call(obs, 42, 0.15)
    if call.nudged:
        fail(f"{obs.call}: the thread called back after 0.15 s, but the value only arrived "
             "once the grader woke the loop up: the hand-over left it asleep, and alone it "
             "would have slept until some other event came. An asyncio future set, or a "
             "`loop.call_soon(...)` made, from another thread does not wake the loop (nor is "
             "it thread-safe): of what a thread can do to the loop, only "
             "`loop.call_soon_threadsafe(...)` does.")


@case(points=1, hidden=False)
def test_result_from_thread_keeps_the_loop_free(student: Student):
    obs = student.run(sc.result_from_thread, values=["free"], delays=[0.1],
                      call="result_from_thread(start), where start's thread calls back after "
                           "0.1 s")
    obs.expect_not_blocking()
    call = _one_call(obs, "free", 0.1)
    if call.ping_answered is False:
        fail(f"{obs.call}: while it waited for the thread, the event loop did not run a "
             f"callback scheduled with call_soon_threadsafe for {sc.PING_WAIT:g} s: the loop's "
             "thread was blocked. Never wait on a thread primitive (queue.Queue.get, "
             "threading.Event.wait, a Lock) in a coroutine: await an asyncio future instead.",
             Reason.BLOCKING, obs=obs)


@case(points=1)
def test_result_from_thread_does_not_poll(student: Student):
    obs = student.run(sc.result_from_thread, values=["patience"], delays=[0.2],
                      call="result_from_thread(start), where start's thread calls back after "
                           "0.2 s")
    call = _one_call(obs, "patience", 0.2)
    woke = call.iterations_waiting
    if woke is not None and woke > POLLING_LIMIT:
        fail(f"{obs.call}: while it waited 0.2 s for the thread, the event loop woke up {woke} "
             "times; an await that is woken by the thread needs none. Do not poll a variable "
             "with short sleeps: await a future that the thread resolves with "
             "`loop.call_soon_threadsafe(...)`.")


@case(points=1)
def test_result_from_thread_calls_do_not_mix(student: Student):
    values, delays = ["first", "second"], [0.15, 0.05]
    obs = student.run(sc.result_from_thread, values=values, delays=delays,
                      call="two result_from_thread(start) calls at once, whose threads call "
                           "back with 'first' after 0.15 s and 'second' after 0.05 s")
    calls = obs.result().calls
    faults = [_fault(f"{obs.call}: the call waiting for {v!r}", c, v, d)
              for c, v, d in zip(calls, values, delays, strict=True)]
    swapped = any(c.returned == {"value": other} for c, v in zip(calls, values, strict=True)
                  for other in values if other != v)
    if all(faults) and len({f[2] for f in faults}) == 1 and not swapped:
        # Every call went wrong as one call alone does: a mistake of its own, not the
        # calls mixing (told as caused by the test that found it first).
        message, reason, cause = faults[0]
        fail(message, reason, obs=obs, cause=cause)
    for call, value in zip(calls, values, strict=True):
        if call.hung:
            fail(f"{obs.call}: the call waiting for {value!r} never returned, although its "
                 "thread had called back. Each call needs its own future, made inside the "
                 "call (no module-level state shared between calls).", Reason.HANG, obs=obs)
        if call.returned != {"value": value} or not call.same_object:
            fail(f"{obs.call}: the call waiting for {value!r} returned "
                 f"{show(call.returned)}; expected {show({'value': value})}. Each call "
                 "needs its own future (no module-level state shared between calls).")


# -- call_async_from_thread ------------------------------------------------------------------


def _outcome(obs, timeout):
    """What call_async_from_thread did, with a clear message if it never came back."""
    if obs.result().blocked:
        fail(f"{obs.call} still had not returned {timeout + sc.GIVE_UP_AFTER:g} s later although "
             f"timeout={timeout:g}: it must give up after `timeout` seconds at most. Wait with a "
             "timeout (`future.result(timeout)` or `concurrent.futures.wait`).", Reason.HANG,
             obs=obs)
    return obs.value


def _ran_on_the_loop(obs, value):
    if value.fn.runs != 1:
        fail(f"{obs.call} ran fn {value.fn.runs} times; expected exactly once.")
    if not value.fn.on_the_loop[0] or not value.fn.in_loop_thread[0]:
        fail(f"{obs.call}: fn ran on another event loop, not on the `loop` it was given (which "
             "runs in its own thread). Submit the coroutine to that loop: "
             "`asyncio.run_coroutine_threadsafe(fn(*args), loop)`, not asyncio.run().")


@case(points=1, hidden=False)
def test_call_async_runs_fn_on_the_loop(student: Student):
    obs = student.run(sc.call_async_from_thread, kind="add", args=[2, 3], timeout=2.0,
                      call="call_async_from_thread(loop, fn, 2, 3, timeout=2) from another "
                           "thread, where fn(a, b) returns a + b after 10 ms")
    value = _outcome(obs, 2.0)
    if value.raised is not None:
        fail(f"{obs.call} raised {value.raised}; expected it to return 5.")
    expect_equal(value.returned, 5, obs.call, "It blocks until fn's result and returns it.")
    _ran_on_the_loop(obs, value)


def _expect_fn_error(obs, kind, message, timeout):
    value = _outcome(obs, timeout)
    if value.raised is None:
        fail(f"{obs.call} returned {show(value.returned)}; expected fn's {kind} to "
             "propagate.")
    exc = value.raised
    if exc.type != kind or not exc.is_a(kind) or exc.message != message:
        hint = (" fn's own TimeoutError is fn's exception, not the deadline: it finished, so "
                "check whether it is done (or use concurrent.futures.wait) before treating a "
                "TimeoutError as a timeout." if kind == "TimeoutError" else "")
        fail(f"{obs.call} raised {exc.type}: {exc.message}; expected fn's own {kind}: "
             f"{message}, unchanged (same type and message).{hint}")
    if value.took > 1.0:
        fail(f"{obs.call} raised fn's {kind} only after {value.took:g} s; fn raised it at "
             "once, and the caller must get it as soon as fn raises (not when the timeout "
             "runs out).")


@case(points=1, hidden=False)
def test_call_async_propagates_fns_exception(student: Student):
    obs = student.run(sc.call_async_from_thread, kind="raise", args=["ValueError", "fn failed"],
                      timeout=2.0,
                      call="call_async_from_thread(loop, fn, timeout=2) from another thread, "
                           "where fn raises ValueError('fn failed') at once")
    _expect_fn_error(obs, "ValueError", "fn failed", 2.0)


@case(points=1)
def test_call_async_passes_fns_own_timeout_error(student: Student):
    obs = student.run(sc.call_async_from_thread, kind="raise",
                      args=["TimeoutError", "fn's own timeout"], timeout=2.0,
                      call="call_async_from_thread(loop, fn, timeout=2) from another thread, "
                           "where fn raises TimeoutError(\"fn's own timeout\") at once")
    _expect_fn_error(obs, "TimeoutError", "fn's own timeout", 2.0)


SLOW_CALL = ("call_async_from_thread(loop, fn, timeout=0.1) from another thread, where fn "
             "takes 2 s")


def _expect_timeout(obs):
    value = _outcome(obs, 0.1)
    if value.fn.runs and not value.fn.on_the_loop[0]:
        _ran_on_the_loop(obs, value)
    if value.raised is None:
        fail(f"{obs.call} returned {show(value.returned)}; expected TimeoutError after "
             "0.1 s.")
    if not value.raised.is_a("TimeoutError"):
        fail(f"{obs.call} raised {value.raised}; expected TimeoutError.")
    return value


@case(points=1)
def test_call_async_times_out(student: Student):
    obs = student.run(sc.call_async_from_thread, kind="slow", args=[], timeout=0.1, hold=2.0,
                      call=SLOW_CALL)
    value = _expect_timeout(obs)
    took = value.took
    if took < 0.09:
        fail(f"{obs.call} raised TimeoutError after {took:g} s; expected it to wait the "
             "0.1 s of timeout first.")
    if took > 1.1:
        fail(f"{obs.call} raised TimeoutError only after {took:g} s; expected it after about "
             "0.1 s: `timeout` is the longest the calling thread waits.")


@case(points=1)
def test_call_async_timeout_cancels_fn(student: Student):
    obs = student.run(sc.call_async_from_thread, kind="slow", args=[], timeout=0.1, hold=2.0,
                      call=SLOW_CALL)
    value = _expect_timeout(obs)
    if not value.fn.cancelled:
        fail(f"{obs.call} raised TimeoutError, but fn never saw CancelledError on the loop: it "
             "ran on after the caller gave up. Cancel it: `future.cancel()` on the future of "
             "run_coroutine_threadsafe cancels the task on the loop.")
    if not value.fn.finished:
        fail(f"{obs.call}: fn was cancelled but had not finished {sc.CANCEL_WAIT:g} s later.")
