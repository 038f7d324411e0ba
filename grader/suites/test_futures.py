"""Hidden suite: futures. Each scenario hands the student's functions a future (or a
``start`` function) it made itself and records, on the virtual clock, when and how that
future was resolved: result, exception, cancelled or still pending."""

from grader._plugin import Student
from grader.scenarios import futures as sc
from grader.testing import TOLERANCE, Raised, Reason, case, fail, show

SLUG = "futures"


def _show(value):
    if isinstance(value, Raised):
        return f"{value.type}({value.message!r})"
    return show(value)


def _holds(value):
    """A future holding the result ``value``."""
    return sc.FutureState(kind="result", result=value)


def _what(state):
    kind = state.kind
    if kind == "not a future":
        return f"a {state.type} (not an asyncio.Future)"
    if kind == "pending":
        return "a pending future (not resolved yet)"
    if kind == "cancelled":
        return "a cancelled future"
    if kind == "exception":
        return f"a future holding the exception {_show(state.exception)}"
    return f"a future holding the result {_show(state.result)}"


def _expect_future(obs, state, hint=""):
    if state.kind == "not a future":
        extra = (" Make it a plain `def` (not `async def`) that returns a future."
                 if state.type == "coroutine" else "")
        fail(f"{obs.call} returned {_what(state)}; expected an asyncio.Future of the running "
             f"loop, made with `asyncio.get_running_loop().create_future()`.{extra}"
             + (f" {hint}" if hint else ""))


# -- resolved ----------------------------------------------------------------------------

@case(points=1, hidden=False)
def test_resolved_is_done_with_the_value(student: Student):
    obs = student.run(sc.resolved, value=42)
    state = obs.returned()
    _expect_future(obs, state)
    if state.kind == "pending":
        after = obs.value.after_a_loop_turn
        late = (" It only got its value after the loop ran other callbacks: call "
                "`fut.set_result(value)` directly, no scheduling needed."
                if after is not None and after.kind == "result" else "")
        fail(f"{obs.call} returned a future that was not done yet; expected a future that "
             f"already holds 42 when resolved() returns (`fut.done()` is true).{late}")
    if state != _holds(42):
        fail(f"{obs.call} returned {_what(state)}; expected a future holding the result 42.")


@case(points=1)
def test_resolved_holds_that_very_object_on_the_running_loop(student: Student):
    obs = student.run(sc.resolved, value=["a", 1], call="resolved(['a', 1])")
    state = obs.returned()
    _expect_future(obs, state)
    if state.kind != "result":
        fail(f"{obs.call} returned {_what(state)}; expected a future that is already done and "
             "holds the value it was given. Call `fut.set_result(value)` before returning.")
    if not obs.value.same_object:
        fail(f"{obs.call} returned a future holding {show(state.result)}, but not the very "
             "object it was given (a copy or another value). Store `value` itself.")
    if not obs.value.same_loop:
        fail(f"{obs.call} returned a future of another event loop, not of the running one. "
             "Create it with `asyncio.get_running_loop().create_future()`.")
    obs.expect_clean()


# -- resolve_later -----------------------------------------------------------------------

def _expect_result(obs, value):
    v = obs.value
    if v.returned is not None:
        fail(f"{obs.call} returned {show(v.returned)}; expected None: it resolves the "
             "future, it does not return a value.")
    state = v.state
    if state.kind == "pending":
        fail(f"When {obs.call} returned, the future was still pending; expected it to hold "
             f"{show(value)} by then. Wait for the delay yourself (`await asyncio.sleep(delay)`), "
             "then set the result, before returning; don't leave it to a timer.")
    if state.kind == "cancelled":
        fail(f"After {obs.call} the future was cancelled; expected it to hold {show(value)}. "
             "Awaiting the future with a timeout (wait_for, timeout) cancels it when time is "
             "up: sleep for the delay instead, then call `fut.set_result(value)`.")
    if state != _holds(value):
        fail(f"After {obs.call} the future was {_what(state)}; expected it to hold the result "
             f"{show(value)}.")


@case(points=1, hidden=False)
def test_resolve_later_sets_the_result(student: Student):
    obs = student.run(sc.resolve_later, delay=1.0, value="ready",
                      call="resolve_later(fut, 1.0, 'ready')")
    obs.returned()
    _expect_result(obs, "ready")


@case(points=1)
def test_resolve_later_resolves_after_the_delay(student: Student):
    obs = student.run(sc.resolve_later, delay=2.5, value=[7],
                      call="resolve_later(fut, 2.5, [7])")
    obs.expect_not_blocking()
    obs.returned()
    _expect_result(obs, [7])
    settled, back = obs.value.settled_at, obs.value.returned_at
    if settled is None:
        fail(f"{obs.call} never resolved the future it was given.")
    if abs(settled - 2.5) > TOLERANCE:
        fail(f"{obs.call} resolved the future {settled:g} s after the call; expected 2.5 s, "
             "after `delay` seconds of loop time" + (
                 ": did it skip the wait?" if settled < 2.5 else
                 ": does it wait more than once?"), Reason.TIMING, obs=obs)
    if abs(back - 2.5) > TOLERANCE:
        fail(f"{obs.call} returned {back:g} s after the call; expected it to return right "
             "after setting the result, 2.5 s after the call.", Reason.TIMING, obs=obs)
    if not obs.value.same_object:
        fail(f"{obs.call} set a result equal to [7] but not that very object: store `value` "
             "itself.")
    obs.expect_clean()


def _expect_left_alone(obs, kept, hint):
    obs.returned(hint=hint)
    state = obs.value.state
    if state.kind == "pending":
        fail(f"{obs.call} returned after {obs.value.returned_at:g} s with the future still "
             "pending and untouched; expected it to wait for the delay and then leave the "
             "future as others had settled it. Await the delay inside resolve_later; don't "
             "leave the work to a timer.")
    if state != kept:
        fail(f"After {obs.call} the future was {_what(state)}; expected it to stay "
             f"{_what(kept)}. {hint}")


def _expect_resolves_when_untouched(student: Student):
    """The same call on a future nobody else touches must resolve it, so that a
    resolve_later that never sets anything cannot pass for one that leaves done futures
    alone."""
    obs = student.run(sc.resolve_later, delay=2.0, value="late",
                      call="resolve_later(fut, 2.0, 'late') on a future nobody else touches")
    obs.returned()
    _expect_result(obs, "late")


DONE_HINT = ("A future is resolved once: setting a done future raises InvalidStateError. "
             "Check `fut.done()` before `fut.set_result(value)`.")


@case(points=1)
def test_resolve_later_leaves_a_future_cancelled_meanwhile(student: Student):
    obs = student.run(sc.resolve_later, delay=2.0, value="late", meddle="cancel", meddle_at=1.0,
                      call="resolve_later(fut, 2.0, 'late') while fut is cancelled after 1 s")
    _expect_left_alone(obs, sc.FutureState(kind="cancelled"), DONE_HINT)
    obs.expect_clean()
    _expect_resolves_when_untouched(student)


@case(points=1)
def test_resolve_later_keeps_the_first_result(student: Student):
    for at in (1.0, 0.0):
        when = "after 1 s" if at else "before the call"
        obs = student.run(sc.resolve_later, delay=2.0, value="late", meddle="resolve", meddle_at=at,
                          call=f"resolve_later(fut, 2.0, 'late') with fut resolved to 'first' "
                               f"{when}")
        _expect_left_alone(obs, _holds("first"), DONE_HINT)
        obs.expect_clean()
    _expect_resolves_when_untouched(student)


# -- from_callback -----------------------------------------------------------------------

def _expect_started_once(obs):
    v = obs.result()
    after = v.after_start
    _expect_future(obs, after)
    if v.start_calls != 1:
        fail(f"{obs.call} called start() {v.start_calls} times; expected exactly once, "
             "with the two callbacks: `start(on_success, on_error)`.")
    if v.callables != [True, True]:
        fail(f"{obs.call} called start() with {v.callables} callables; expected two "
             "functions: start(on_success, on_error).")
    if not v.same_loop:
        fail(f"{obs.call} returned a future of another event loop. Create it with "
             "`asyncio.get_running_loop().create_future()`.")
    return after


LATER_HINT = ("Only the first call decides; later calls of either callback must be ignored "
              "without error: check `fut.done()` before setting it.")


def _expect_no_raise(obs, steps, first_hint, later_hint=LATER_HINT):
    for i, (step, raised) in enumerate(zip(steps, obs.value.raised_by, strict=False)):
        if raised is not None:
            hint = later_hint if i else first_hint
            what = (f"on_success({step['value']!r})" if step["call"] == "success"
                    else f"on_error({step['raise']}({step['message']!r}))")
            fail(f"In {obs.call}, calling {what} raised {raised.type}: {raised.message}. "
                 f"{hint}")


@case(points=1, hidden=False)
def test_from_callback_first_success_wins(student: Student):
    steps = [{"call": "success", "value": "first"}, {"call": "success", "value": "second"},
             {"call": "error", "raise": "ValueError", "message": "too late"}]
    obs = student.run(sc.from_callback, steps=steps,
                      call="from_callback(start) with on_success('first'), then "
                           "on_success('second'), then on_error(ValueError('too late'))")
    after = _expect_started_once(obs)
    if after.kind != "pending":
        fail(f"{obs.call}: the future was already {_what(after)} before any callback ran; "
             "expected it pending until a callback is called.")
    _expect_no_raise(obs, steps, "on_success(value) sets the future's result: "
                     "`fut.set_result(value)`.")
    state = obs.value.states[0]
    if state != _holds("first"):
        fail(f"{obs.call}: after on_success('first') the future was {_what(state)}; expected "
             "it to hold 'first': on_success(value) calls `fut.set_result(value)`.")
    final = obs.value.final
    if final != _holds("first"):
        fail(f"{obs.call}: in the end the future was {_what(final)}; expected it to keep "
             f"'first'. {LATER_HINT}")


def _expect_exception(obs, state, message):
    if state.kind == "result" and isinstance(state.result, Raised):
        fail(f"{obs.call}: the future holds {_show(state.result)} as its *result*, so "
             "`await fut` returns the error instead of raising it. on_error(exc) must call "
             "`fut.set_exception(exc)`.")
    exc = state.exception
    if state.kind != "exception" or not exc.is_a("ValueError") or exc.message != message:
        fail(f"{obs.call}: the future was {_what(state)}; expected it to hold the exception "
             f"ValueError({message!r}), so that `await fut` raises it: "
             "on_error(exc) calls `fut.set_exception(exc)`.")


@case(points=1, hidden=False)
def test_from_callback_error_becomes_the_exception(student: Student):
    steps = [{"call": "error", "raise": "ValueError", "message": "boom"}]
    obs = student.run(sc.from_callback, steps=steps,
                      call="from_callback(start) with on_error(ValueError('boom'))")
    _expect_started_once(obs)
    _expect_no_raise(obs, steps, "on_error(exc) sets the future's exception: "
                     "`fut.set_exception(exc)`.")
    _expect_exception(obs, obs.value.final, "boom")
    if not obs.value.same_object:
        fail(f"{obs.call}: the future holds a ValueError, but not the one given to on_error. "
             "Set that exception object itself.")


@case(points=1)
def test_from_callback_ignores_later_calls(student: Student):
    steps = [{"call": "error", "raise": "ValueError", "message": "first failure"},
             {"call": "success", "value": "late"},
             {"call": "error", "raise": "KeyError", "message": "later failure"}]
    obs = student.run(sc.from_callback, steps=steps,
                      call="from_callback(start) with on_error(ValueError('first failure')), "
                           "then on_success('late'), then on_error(KeyError('later failure'))")
    _expect_started_once(obs)
    _expect_no_raise(obs, steps, "on_error(exc) sets the future's exception: "
                     "`fut.set_exception(exc)`.")
    _expect_exception(obs, obs.value.final, "first failure")
    if not obs.value.same_object:
        fail(f"{obs.call}: the future's exception is not the first one given to on_error. "
             f"{LATER_HINT}")
    obs.expect_clean()


@case(points=1)
def test_from_callback_answer_inside_start(student: Student):
    steps = [{"call": "success", "value": [1, 2]}, {"call": "success", "value": "again"}]
    obs = student.run(sc.from_callback, steps=steps, first_inside_start=True,
                      call="from_callback(start) where start calls on_success([1, 2]) before "
                           "returning, and on_success('again') later")
    _expect_started_once(obs)
    _expect_no_raise(obs, steps, "start() may call a callback at once, before "
                     "from_callback() has returned: create the future *before* calling start().")
    first = obs.value.states[0]
    if first != _holds([1, 2]):
        fail(f"{obs.call}: once it had returned, the future was {_what(first)}; expected it "
             "to hold [1, 2], since start() answered at once. Create the future first, then "
             "call start(on_success, on_error), then return the future.")
    if not obs.value.same_object:
        fail(f"{obs.call}: the future holds a value equal to [1, 2] but not that object: "
             "`fut.set_result(value)` with the value itself.")
    final = obs.value.final
    if final != _holds([1, 2]):
        fail(f"{obs.call}: in the end the future was {_what(final)}; expected it to keep "
             f"[1, 2]. {LATER_HINT}")
    obs.expect_clean()
