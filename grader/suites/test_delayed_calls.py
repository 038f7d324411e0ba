"""Hidden suite: delayed_calls. The functions are plain ``def``s called on a running loop;
the scenario then lets virtual time pass and notes the loop time of every append to the log
and every callback, so the schedule is read off the clock exactly."""

from grader._plugin import Student
from grader.scenarios import delayed_calls as sc
from grader.testing import TOLERANCE, Reason, case, fail, show

SLUG = "delayed_calls"

TIMER = ("Use the running loop's own timers: `asyncio.get_running_loop().call_later(delay, "
         "callback, *args)` returns the TimerHandle.")


def _at(times) -> str:
    if not times:
        return "nothing"
    return ", ".join(f"{item!r} at {t:g} s" for t, item in times)


def _log(stamps: list[sc.Stamp]) -> list[tuple[float, object]]:
    """What a log received: (loop time, item) pairs."""
    return [(s.at, s.item) for s in stamps]


def _made(calls: list[sc.Call]) -> list[tuple[float, list[object]]]:
    """The callback's calls: (loop time, arguments) pairs."""
    return [(c.at, c.args) for c in calls]


def _same(got, expected) -> bool:
    return len(got) == len(expected) and all(
        g[1] == e[1] and abs(g[0] - e[0]) <= TOLERANCE for g, e in zip(got, expected, strict=True))


def _why(got, expected) -> Reason:
    """A schedule with the right items at the wrong times is a timing fault."""
    return Reason.TIMING if [g[1] for g in got] == [e[1] for e in expected] else Reason.WRONG


# -- schedule_greeting --------------------------------------------------------------------


def _expect_timer(obs, what: str) -> None:
    if not obs.value.timer_handle:
        fail(f"{obs.call} returned a {obs.value.handle_type}; expected {what}. {TIMER}")


@case(points=1, hidden=False)
def test_greeting_arrives_after_the_delay(student: Student):
    obs = student.run(sc.schedule_greeting, delay=2.0, until=5.0, call="schedule_greeting(2.0, log)")
    obs.expect_no_error()
    _expect_timer(obs, "the asyncio.TimerHandle of the delayed call")
    times, expected = _log(obs.value.times), [(2.0, "hello")]
    if not _same(times, expected):
        fail(f"{obs.call}: in the 5 s that followed, the log received {_at(times)}; expected "
             "'hello' once, 2 s after the call. Schedule it `delay` seconds from now, once.",
             _why(times, expected), obs=obs)
    obs.expect_clean()


@case(points=1)
def test_cancelled_greeting_never_arrives(student: Student):
    obs = student.run(sc.schedule_greeting, delay=1.0, until=3.0, cancel_at=0.5, control=1.5,
                      call="schedule_greeting(1.0, log), then handle.cancel() after 0.5 s "
                           "(beside schedule_greeting(1.5, other_log), not cancelled)")
    obs.expect_no_error()
    _expect_timer(obs, "a TimerHandle whose cancel() stops the greeting")
    times = _log(obs.value.times)
    if times:
        fail(f"{obs.call}: the log still received {_at(times)}; expected nothing. Return the "
             "handle of the very call that appends 'hello', so that cancelling it stops it.")
    control, expected = _log(obs.value.control), [(1.5, "hello")]
    if not _same(control, expected):
        fail(f"{obs.call}: other_log, whose greeting nobody cancelled, received {_at(control)}; "
             "expected 'hello' at 1.5 s.", _why(control, expected), obs=obs)
    obs.expect_clean()


# -- schedule_sequence --------------------------------------------------------------------


def _expect_handles(obs, n: int) -> None:
    v = obs.value
    if not v.is_list or v.count != n:
        got = f"a list of {v.count}" if v.is_list else f"a {v.returned_type}"
        fail(f"{obs.call} returned {got}; expected a list of {n} handles, one per message, "
             "in order.")
    if not v.timer_handles:
        fail(f"{obs.call} returned a list that does not hold asyncio.TimerHandle objects; "
             f"expected one TimerHandle per message. {TIMER}")


@case(points=1, hidden=False)
def test_sequence_is_spaced_by_interval(student: Student):
    obs = student.run(sc.schedule_sequence, messages=["a", "b", "c"], interval=1.0, until=5.0,
                      call="schedule_sequence(['a', 'b', 'c'], 1.0, log)")
    obs.expect_no_error()
    _expect_handles(obs, 3)
    times = _log(obs.value.times)
    expected = [(1.0, "a"), (2.0, "b"), (3.0, "c")]
    if not _same(times, expected):
        hint = "Message i is due (i + 1) * interval seconds after the call."
        if [item for _, item in times] not in (["a", "b", "c"], []) and len(set(
                item for _, item in times)) == 1:
            hint = ("Every timer appended the same message: a lambda in a loop reads the loop "
                    "variable when it runs, not when it was made. Pass the message as an "
                    "argument: `loop.call_later(delay, log.append, message)`.")
        fail(f"{obs.call}: the log received {_at(times)}; expected {_at(expected)}. {hint}",
             _why(times, expected), obs=obs)
    obs.expect_clean()


@case(points=1)
def test_sequence_handles_cancel_their_own_message(student: Student):
    obs = student.run(sc.schedule_sequence, messages=["a", "b", "c", "d"], interval=0.5, until=4.0,
                      cancel=[1, 3],
                      call="schedule_sequence(['a', 'b', 'c', 'd'], 0.5, log), then "
                           "handles[1].cancel() and handles[3].cancel() at once")
    obs.expect_no_error()
    _expect_handles(obs, 4)
    times = _log(obs.value.times)
    if [item for _, item in times] != ["a", "c"]:  # which messages, not when: that is another test
        fail(f"{obs.call}: the log received {_at(times)}; expected 'a', then 'c' (the handles of "
             "'b' and 'd' were cancelled). Return the handles in the order of messages, each the "
             "handle of the call that appends its message, and schedule every message up front.")
    obs.expect_clean()


@case(points=1)
def test_sequence_rejects_a_bad_interval(student: Student):
    obs = student.run(sc.sequence_bad_interval, intervals=[0, -1.5],
                      call="schedule_sequence(['a', 'b'], interval, log) with interval 0, then -1.5")
    obs.expect_no_error()
    for outcome in obs.value.outcomes:
        call = f"schedule_sequence(['a', 'b'], {outcome.interval:g}, log)"
        if outcome.raised is None:
            fail(f"{call} returned {outcome.returned} handle(s); expected ValueError: "
                 "`interval <= 0` must be rejected before anything is scheduled.")
        err = outcome.raised
        if not err.is_a("ValueError"):
            fail(f"{call} raised {err}; expected ValueError.")
        if not err.message.strip():
            fail(f"{call} raised ValueError without a message; say what is wrong, e.g. "
                 "ValueError(f'interval must be positive, got {interval}').")
        if outcome.log:
            fail(f"{call} raised ValueError, but the log already held {show(outcome.log)}.")
    obs.expect_clean("Check the interval before scheduling anything.")


# -- Debouncer ------------------------------------------------------------------------------


def _calls(calls) -> str:
    if not calls:
        return "no call"
    return ", ".join(f"callback{tuple(args)!r} at {t:g} s" for t, args in calls)


@case(points=2, hidden=False)
def test_debouncer_runs_once_after_the_last_trigger(student: Student):
    steps = [["trigger", 0.0, [1, "x"]], ["trigger", 0.4, [2, "x"]], ["trigger", 0.8, [3, "x"]]]
    obs = student.run(sc.debouncer, delay=1.0, steps=steps, until=4.0,
                      call="Debouncer(1.0, callback) triggered with (1, 'x') at 0 s, (2, 'x') at "
                           "0.4 s and (3, 'x') at 0.8 s")
    obs.expect_no_error()
    calls = _made(obs.value.calls)
    expected = [(1.8, [3, "x"])]
    if not _same(calls, expected):
        if len(calls) > 1:
            hint = ("Every trigger must cancel the pending call before scheduling a new one "
                    "(keep the handle, call handle.cancel()).")
        elif calls and abs(calls[0][0] - 1.0) <= TOLERANCE:
            hint = ("The call ran `delay` after the FIRST trigger: each trigger must push the "
                    "deadline back to `delay` after itself.")
        else:
            hint = "Run the callback once, `delay` seconds after the last trigger, with its arguments."
        fail(f"{obs.call}: saw {_calls(calls)}; expected {_calls(expected)}. {hint}",
             _why(calls, expected), obs=obs)
    obs.expect_clean()


@case(points=1)
def test_debouncer_pending(student: Student):
    steps = [["trigger", 0.0, ["a"]], ["pending", 0.9], ["pending", 1.1],
             ["trigger", 2.0, ["b"]], ["pending", 2.5]]
    obs = student.run(sc.debouncer, delay=1.0, steps=steps, until=4.0,
                      call="Debouncer(1.0, callback) triggered with ('a',) at 0 s and ('b',) at "
                           "2 s, pending read at 0, 0.9, 1.1, 2, 2.5 and 4 s")
    obs.expect_no_error()
    seen = obs.value.pending
    expected = [[0.0, False], [0.0, True], [0.9, True], [1.1, False], [2.0, True], [2.5, True],
                [4.0, False]]
    why = {0: "before the first trigger nothing is scheduled",
           1: "right after trigger() a call is scheduled",
           2: "the call is due at 1 s and has not run yet",
           3: "the call ran at 1 s: nothing is pending any more (a TimerHandle cannot tell "
              "you it has run: note it yourself when the call runs)",
           4: "a new trigger after the call ran schedules a new call",
           5: "the new call is due at 3 s",
           6: "the second call ran at 3 s"}
    for i, (probe, (_, want)) in enumerate(zip(seen, expected, strict=True)):
        if probe.pending is None:
            fail(f"{obs.call}: at {probe.at:g} s pending was a {probe.other_type} object; "
                 f"expected {want}. pending must be True or False.")
        if probe.pending is not want:
            fail(f"{obs.call}: at {probe.at:g} s pending was {probe.pending}; expected {want}: "
                 f"{why[i]}.")
    calls = _made(obs.value.calls)
    expected_calls = [(1.0, ["a"]), (3.0, ["b"])]
    if not _same(calls, expected_calls):
        fail(f"{obs.call}: saw {_calls(calls)}; expected {_calls(expected_calls)}.",
             _why(calls, expected_calls), obs=obs)
    obs.expect_clean()


@case(points=1)
def test_debouncer_cancel(student: Student):
    steps = [["cancel", 0.0], ["trigger", 0.0, ["late"]], ["cancel", 0.5], ["cancel", 0.6],
             ["trigger", 1.2, ["fresh"]]]
    obs = student.run(sc.debouncer, delay=1.0, steps=steps, until=4.0,
                      call="Debouncer(1.0, callback): cancel() at 0 s (nothing pending), "
                           "trigger('late') at 0 s, cancel() at 0.5 s and again at 0.6 s, "
                           "trigger('fresh') at 1.2 s")
    obs.expect_no_error("cancel() with nothing pending must do nothing, without error.")
    calls = _made(obs.value.calls)
    if any(args == ["late"] for _, args in calls):
        fail(f"{obs.call}: saw {_calls(calls)}; the 'late' call was cancelled at 0.5 s and must "
             "never run. Forgetting the handle does not stop it: call handle.cancel().")
    expected = [(2.2, ["fresh"])]
    if not _same(calls, expected):
        fail(f"{obs.call}: saw {_calls(calls)}; expected only callback('fresh',) at 2.2 s: after "
             "cancel(), the debouncer must work again.", _why(calls, expected), obs=obs)
    after_cancel = [probe.pending for probe in obs.value.pending if probe.at in (0.5, 0.6)]
    if any(got is not False for got in after_cancel):
        fail(f"{obs.call}: pending was {after_cancel} right after cancel(); expected False.")
    obs.expect_clean()


# -- the loop's own scheduling ---------------------------------------------------------------


@case(points=1)
def test_no_task_and_no_thread(student: Student):
    obs = student.run(sc.uses_loop_timers,
                      call="schedule_greeting(1.0, log), schedule_sequence(['a', 'b'], 1.0, log) "
                           "and Debouncer(1.0, callback) triggered with (1,) then (2,)")
    obs.expect_no_error()
    v = obs.value
    greeting, sequence, calls = _log(v.greeting), _log(v.sequence), _made(v.calls)
    # Only that each one did its job at all (the other tests check exactly how well).
    if [item for _, item in greeting] != ["hello"]:
        fail(f"{obs.call}: the greeting log received {_at(greeting)}; expected 'hello'.")
    if len(sequence) != 2:
        fail(f"{obs.call}: the sequence log received {_at(sequence)}; expected 'a' and 'b'.")
    if not any(args == [2] for _, args in calls):
        fail(f"{obs.call}: the debouncer made {_calls(calls)}; expected callback(2,).")
    for call, made in v.spawned.items():
        if made.tasks or made.threads:
            fail(f"{call} started {made.tasks} task(s) and {made.threads} thread(s); a "
                 "delayed call needs neither. " + TIMER)
    obs.expect_not_blocking()
    obs.expect_clean()


# -- varied parameters and re-entrance --------------------------------------------------------


@case(points=1)
def test_sequence_follows_any_interval(student: Student):
    for messages, interval in ((["a", "b", "c"], 0.75), (["x", "y"], 2.5), (["solo"], 0.3),
                               ([], 1.0)):
        obs = student.run(sc.schedule_sequence, messages=messages, interval=interval,
                          until=len(messages) * interval + 2.0,
                          call=f"schedule_sequence({messages!r}, {interval:g}, log)")
        obs.expect_no_error()
        _expect_handles(obs, len(messages))
        times = _log(obs.value.times)
        expected = [(round((i + 1) * interval, 6), m) for i, m in enumerate(messages)]
        if not _same(times, expected):
            fail(f"{obs.call}: the log received {_at(times)}; expected {_at(expected)}: "
                 "message i is due (i + 1) * interval seconds after the call, whatever the "
                 "interval.", _why(times, expected), obs=obs)
        obs.expect_clean()


@case(points=1)
def test_debouncer_triggered_from_its_own_callback(student: Student):
    obs = student.run(sc.debouncer_retrigger, delay=1.0, cancel_at=1.5, until=4.0,
                      call="Debouncer(1.0, callback) triggered with ('first',) at 0 s, its "
                           "callback triggering it again with ('again',), then cancel() at "
                           "1.5 s")
    obs.expect_no_error()
    for reading in obs.value.pending:
        want = not reading.after_cancel
        if reading.pending is None:
            fail(f"{obs.call}: pending was a {reading.other_type} object {reading.when}; "
                 f"expected {want}. pending must be True or False.")
        if reading.pending is not want:
            fail(f"{obs.call}: pending was {reading.pending} {reading.when}; expected {want}. "
                 "The callback scheduled a new call: forget the old handle *before* running "
                 "the callback, not after (that would forget the new one).")
    calls, expected = _made(obs.value.calls), [(1.0, ["first"])]
    if not _same(calls, expected):
        fail(f"{obs.call}: saw {_calls(calls)}; expected only callback('first',) at 1 s: the "
             "call scheduled from inside the callback was cancelled at 1.5 s.",
             _why(calls, expected), obs=obs)
    obs = student.run(sc.debouncer_retrigger, delay=1.0, cancel_at=None, until=4.0,
                      call="Debouncer(1.0, callback) triggered with ('first',) at 0 s, its "
                           "callback triggering it again with ('again',)")
    calls, expected = _made(obs.result().calls), [(1.0, ["first"]), (2.0, ["again"])]
    if not _same(calls, expected):
        fail(f"{obs.call}: saw {_calls(calls)}; expected callback('first',) at 1 s and "
             "callback('again',) at 2 s.", _why(calls, expected), obs=obs)
    obs.expect_clean()
