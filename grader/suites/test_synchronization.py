"""Hidden suite: synchronization. Deposits race on an instrumented ``_sync`` (counted, and
slowed down on the virtual clock where timing tells a shared lock from a private one);
``bounded_map`` is driven by scripted calls whose outcomes are recorded at the moment it
returns or raises, and counted for how many run at once."""

from grader._cancelled import expect_ends_cancelled, expect_work_finished
from grader._plugin import Student
from grader.scenarios import synchronization as sc
from grader.testing import TOLERANCE, Raised, Reason, case, expect_equal, fail, show

SLUG = "synchronization"

STUCK = (f"the event loop's thread was still stuck {sc.STUCK_AFTER:g} s later: a second "
         "deposit waited for the first on the loop's own thread, which the first needs to "
         "finish. Is a `threading.Lock` (or another thread primitive) held across `await`? "
         "Use `asyncio.Lock` and `async with`.")


def _run_on_own_loop(obs):
    """The value of a scenario run by ``_on_own_loop``; fails clearly if the loop got stuck."""
    if obs.error is not None and "different event loop" in obs.error.message:
        fail(f"{obs.call} raised {obs.error}. An asyncio.Lock belongs to the event loop that "
             "first waits on it: a lock shared by all accounts (at class or module level) fails "
             "on the next loop. Keep one lock per account, made on first use.")
    if obs.result().stuck:
        fail(f"{obs.call} never finished: " + STUCK, Reason.BLOCKING, obs=obs)
    return obs.value.value


# -- deposit ---------------------------------------------------------------------------------


@case(points=1)
def test_deposit_returns_the_new_balance(student: Student):
    obs = student.run(sc.deposit_one_by_one, start=5, amounts=[3, 4],
                      call="Account(5): deposit(3), then deposit(4)")
    expect_equal(obs.returned(), [8, 12], obs.call,
                 "Each deposit returns the balance right after it.")
    expect_equal(obs.value.balance, 12, f"{obs.call}: account.balance")
    if obs.value.sync_calls != 2:
        fail(f"{obs.call} awaited account._sync() {obs.value.sync_calls} times; expected once "
             "per deposit: read the balance, `await self._sync()`, then store the new balance.")


@case(points=1, hidden=False)
def test_deposit_rejects_non_positive_amounts(student: Student):
    obs = student.run(sc.deposit_rejected, start=5, amounts=[0, -3],
                      call="Account(5): deposit(0), then deposit(-3)")
    outcomes = obs.result().outcomes
    for amount, outcome in zip([0, -3], outcomes, strict=True):
        if outcome.raised is None:
            fail(f"{obs.call}: deposit({amount}) returned {show(outcome.returned)}; expected "
                 "ValueError: an amount <= 0 is not a deposit.")
        exc = outcome.raised
        if not isinstance(exc, Raised) or not exc.message.strip():
            fail(f"{obs.call}: deposit({amount}) raised ValueError without a message; say what "
                 "is wrong, e.g. ValueError(f'amount must be positive, got {amount}').")
    expect_equal(obs.value.balance, 5, f"{obs.call}: account.balance",
                 "A rejected deposit must not change the balance.")


@case(points=1, hidden=False)
def test_concurrent_deposits_lose_nothing(student: Student):
    obs = student.run(sc.deposit_concurrently, start=10, amounts=[1] * 100,
                      call="Account(10), then 100 concurrent deposit(1) with asyncio.gather")
    obs.expect_not_blocking()
    run = _run_on_own_loop(obs)
    if run.balance != 110:
        fail(f"{obs.call} left a balance of {show(run.balance)}; expected 110. Deposits that "
             "overlap across `await self._sync()` read the same old balance, and all but one of "
             "their updates are lost: hold one `asyncio.Lock` per account across the read, the "
             "await and the write.")
    got = run.returned
    if not all(type(x) is int for x in got) or sorted(got) != list(range(11, 111)):
        fail(f"{obs.call}: the deposits returned {show(got)}; expected 11, 12, ..., 110 in some "
             "order: each deposit returns the balance right after it.")
    if run.sync_calls != 100:
        fail(f"{obs.call} awaited account._sync() {run.sync_calls} times; expected 100, once "
             "per deposit (it stands for the I/O that makes deposits overlap).")


@case(points=1)
def test_accounts_do_not_share_a_lock(student: Student):
    obs = student.run(sc.accounts_side_by_side, starts=[0, 100, 200], deposits_each=1, amount=5,
                      sync_delay=1.0,
                      call="3 accounts, one deposit(5) on each, all at once, with _sync() taking "
                           "1 s")
    obs.expect_not_blocking()
    run = _run_on_own_loop(obs)
    expect_equal(run.balances, [5, 105, 205], f"{obs.call}: the balances")
    took = obs.value.elapsed
    if took is None:
        fail(f"{obs.call} never finished.", Reason.HANG, obs=obs)
    if took > 1.0 + TOLERANCE:
        fail(f"{obs.call} took {took:g} s of loop time; expected 1 s: deposits on different "
             "accounts do not wait for each other. Is the lock shared by all accounts (at class "
             "or module level)? Keep one per account, made on first use: a shared asyncio.Lock "
             "also fails on the next event loop.", Reason.TIMING, obs=obs)
    if took < 1.0 - TOLERANCE:
        fail(f"{obs.call} took {took:g} s of loop time; expected 1 s: each deposit awaits "
             "`self._sync()` once, between reading and storing the balance.", Reason.TIMING,
             obs=obs)


# -- bounded_map -----------------------------------------------------------------------------


def _scripts(delays, values=None):
    values = values or [f"r{i}" for i in range(len(delays))]
    return [{"delay": d, "value": v} for d, v in zip(delays, values, strict=True)]


def _returned(obs):
    """What bounded_map returned; fails with a clear message if it raised or hung."""
    if obs.result().hung:
        fail(f"{obs.call} was still running after {sc.HANG_AFTER:g} s of loop time although "
             "every call was done long before: is something awaited that never completes?",
             Reason.HANG, obs=obs)
    if obs.value.failed is not None:
        fail(f"{obs.call} raised {obs.value.failed.raised}; expected it to return.")
    return obs.value.returned


def _raised(obs):
    """What bounded_map raised (the scripted error, possibly wrapped); fails if it returned."""
    if obs.result().hung:
        fail(f"{obs.call} never finished (still waiting after {sc.HANG_AFTER:g} s of loop time) "
             "although one call raised at once: a failure must end bounded_map, not leave it "
             "waiting.", Reason.HANG, obs=obs)
    if obs.value.failed is None:
        fail(f"{obs.call} returned {show(obs.value.returned)}; expected the KeyError that "
             "fn raised to propagate.")
    return obs.value.failed


@case(points=1, hidden=False)
def test_bounded_map_keeps_the_order_of_items(student: Student):
    obs = student.run(sc.bounded_map, scripts=_scripts([3, 1, 2, 0.5], ["a", "b", "c", "d"]),
                      limit=2, call="bounded_map(fn, 4 items taking 3, 1, 2, 0.5 s, limit=2)")
    expect_equal(_returned(obs), ["a", "b", "c", "d"], obs.call,
                 "Results must follow the order of items, not the order in which calls finish.")
    empty = student.run(sc.bounded_map, scripts=[], limit=3, call="bounded_map(fn, [], limit=3)")
    expect_equal(_returned(empty), [], empty.call)


@case(points=1, hidden=False)
def test_bounded_map_runs_limit_calls_at_once(student: Student):
    obs = student.run(sc.bounded_map, scripts=_scripts([1.0] * 10), limit=3,
                      call="bounded_map(fn, 10 items taking 1 s each, limit=3)")
    obs.expect_not_blocking()
    expect_equal(_returned(obs), [f"r{i}" for i in range(10)], obs.call)
    most = obs.value.most_at_once
    if most > 3:
        fail(f"{obs.call} ran {most} calls of fn at once; expected at most 3. The limit was not "
             "applied: every call must acquire the same `asyncio.Semaphore(limit)`, created once "
             "per bounded_map call (or use `limit` workers).", Reason.TIMING, obs=obs)
    if most < 3:
        fail(f"{obs.call} ran at most {most} calls of fn at once; expected 3 while items wait. "
             "Are the calls awaited one after another?", Reason.TIMING, obs=obs)
    if obs.value.calls != 10:
        fail(f"{obs.call} called fn {obs.value.calls} times; expected 10, once per item.")
    obs.expect_elapsed(4.0, slow_hint="3 at a time, 10 calls of 1 s take 4 s.",
                       fast_hint="Too fast: more than 3 calls ran at once.")
    obs.expect_clean()


@case(points=1)
def test_bounded_map_fills_a_free_slot_at_once(student: Student):
    obs = student.run(sc.bounded_map, scripts=_scripts([3, 1, 1, 1, 1, 1, 1]), limit=3,
                      call="bounded_map(fn, 7 items taking 3, 1, 1, 1, 1, 1, 1 s, limit=3)")
    got = _returned(obs)
    if type(got) is not list or sorted(map(str, got)) != [f"r{i}" for i in range(7)]:
        fail(f"{obs.call} returned {show(got)}; expected ['r0', ..., 'r6'], one result per item.")
    obs.expect_elapsed(3.0, slow_hint="While the 3 s call runs, the two other slots take the "
                       "1 s items two by two. A free slot must take the next item at once: no "
                       "batches (gather of `limit` items at a time waits for the slowest).",
                       fast_hint="Too fast: more than 3 calls ran at once.")
    few = student.run(sc.bounded_map, scripts=_scripts([1.0, 1.0, 1.0]), limit=10,
                      call="bounded_map(fn, 3 items taking 1 s each, limit=10)")
    expect_equal(_returned(few), ["r0", "r1", "r2"], few.call)
    few.expect_elapsed(1.0, slow_hint="With a limit above the number of items, all of them run "
                       "at once.", fast_hint="Each call takes 1 s.")


FAILING = [{"delay": 0.5, "raise": "KeyError", "message": "item 0 failed"},
           {"delay": 10, "value": 1}, {"delay": 10, "value": 2},
           {"delay": 10, "value": 3}, {"delay": 10, "value": 4}]
FAILING_CALL = ("bounded_map(fn, 5 items, limit=3) where item 0 raises KeyError('item 0 failed') "
                "after 0.5 s and the others take 10 s")


@case(points=1)
def test_bounded_map_raises_fns_exception_unwrapped(student: Student):
    obs = student.run(sc.bounded_map, scripts=FAILING, limit=3, call=FAILING_CALL)
    failed = _raised(obs)
    exc = failed.raised
    if failed.is_group:
        fail(f"{obs.call} raised {exc}; expected the KeyError itself, not an ExceptionGroup "
             "around it. A TaskGroup always wraps failures: catch the ExceptionGroup and raise "
             "its first exception (`raise group.exceptions[0]`).")
    if not exc.is_a("KeyError") or "item 0 failed" not in exc.message:
        fail(f"{obs.call} raised {exc}; expected KeyError('item 0 failed'), the exception fn "
             "raised.")
    if not failed.same_exception:
        fail(f"{obs.call} raised a KeyError, but not the one fn raised: let fn's exception "
             "propagate as it is.")


@case(points=1)
def test_bounded_map_failure_cancels_the_other_calls(student: Student):
    obs = student.run(sc.bounded_map, scripts=FAILING, limit=3, call=FAILING_CALL)
    failed = _raised(obs)
    if not (failed.same_exception or failed.group_holds_it):
        fail(f"{obs.call} raised {failed.raised}; expected the KeyError fn raised.")
    runs = obs.value.runs
    running = [r.index for r in runs if r.outcome == "running"]
    asked = obs.value.cancel_requested
    if asked:
        fail(f"{obs.call}: when it raised, the calls for items {asked} had been asked to cancel "
             "but had not finished yet: `task.cancel()` only requests it. Await the cancelled "
             "tasks (`await asyncio.gather(*tasks, return_exceptions=True)`) before raising.",
             Reason.LEAK)
    if running:
        fail(f"{obs.call}: when it raised, the calls for items {running} were still running. "
             "Cancel the other calls and wait until they have finished before raising "
             "(a TaskGroup does both; `gather` does neither).", Reason.LEAK)
    for run in runs[1:]:
        if run.outcome not in ("not started", "cancelled"):
            fail(f"{obs.call}: the call for item {run.index} was running when item 0 failed, "
                 f"but it ended as '{run.outcome}'; expected it to be cancelled.")
    if obs.value.at != 0.5:
        fail(f"{obs.call} raised after {obs.value.at:g} s of loop time; expected 0.5 s, at "
             "once when item 0 failed (the other calls are cancelled, not waited for).",
             Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_bounded_map_rejects_a_limit_below_one(student: Student):
    for limit in (0, -2):
        obs = student.run(sc.bounded_map, scripts=_scripts([1.0, 1.0]), limit=limit,
                          call=f"bounded_map(fn, [0, 1], limit={limit})")
        exc = _raised_value_error(obs)
        if not exc.message.strip():
            fail(f"{obs.call} raised ValueError without a message; say what is wrong, e.g. "
                 "ValueError(f'limit must be at least 1, got {limit}').")
        if obs.value.calls:
            fail(f"{obs.call} called fn {obs.value.calls} times before raising ValueError; "
                 "check the arguments first.")
    one = student.run(sc.bounded_map, scripts=_scripts([1.0, 2.0]), limit=1,
                      call="bounded_map(fn, 2 items taking 1 s and 2 s, limit=1)")
    expect_equal(_returned(one), ["r0", "r1"], one.call, "limit=1 is valid: one call at a time.")


def _raised_value_error(obs):
    if obs.result().hung:
        fail(f"{obs.call} never finished; expected ValueError at once.", Reason.HANG, obs=obs)
    if obs.value.failed is None:
        fail(f"{obs.call} returned {show(obs.value.returned)}; expected ValueError: limit must "
             "be at least 1.")
    exc = obs.value.failed.raised
    if not exc.is_a("ValueError"):
        fail(f"{obs.call} raised {exc}; expected ValueError.")
    return exc


FAILING_LATER = [{"delay": 10, "value": 0}, {"delay": 10, "value": 1},
                 {"delay": 0.5, "raise": "KeyError", "message": "item 2 failed"},
                 {"delay": 10, "value": 3}]
FAILING_LATER_CALL = ("bounded_map(fn, 4 items, limit=3) where item 2 raises KeyError('item 2 "
                      "failed') after 0.5 s and the others take 10 s")


@case(points=1)
def test_bounded_map_raises_fns_exception_from_any_item(student: Student):
    obs = student.run(sc.bounded_map, scripts=FAILING_LATER, limit=3, call=FAILING_LATER_CALL)
    if obs.error is not None and obs.error.is_a("CancelledError"):
        fail(f"{obs.call} raised {obs.error}; expected KeyError('item 2 failed'). The calls "
             "for items 0 and 1 were cancelled when item 2 failed: reading their results "
             "raises CancelledError. Raise fn's own exception (e.g. `raise "
             "group.exceptions[0]`), not the first result you read.")
    failed = _raised(obs)
    if not failed.same_exception:
        fail(f"{obs.call} raised {failed.raised}; expected KeyError('item 2 failed'), the "
             "exception fn raised, as it is, whichever item it came from.")
    if obs.value.at != 0.5:
        fail(f"{obs.call} raised after {obs.value.at:g} s; expected 0.5 s, when item 2 "
             "failed.", Reason.TIMING, obs=obs)
    obs.expect_clean()


@case(points=1)
def test_bounded_map_cancelled_by_its_caller_waits_for_the_calls(student: Student):
    works = [{"delay": 10.0, "value": i, "cleanup": 0.5} for i in range(4)]
    obs = student.run(sc.bounded_map_cancelled, works=works, limit=2, cancel_at=1.0,
                      call="bounded_map(fn, 4 items taking 10 s (0.5 s of cleanup when "
                           "cancelled), limit=2), its task cancelled after 1 s")
    v = expect_ends_cancelled(obs)
    expect_work_finished(obs, v.works, "the call for item")
    late = [w.index for w in v.works if w.started is not None and w.started > 1.0]
    if late:
        fail(f"{obs.call}: the calls for items {late} started after the cancellation; once "
             "cancelled, start nothing new.")
    ended_at = v.caller.ended_at
    assert ended_at is not None  # it ended: expect_ends_cancelled checked it
    if abs(ended_at - 1.5) > TOLERANCE:
        fail(f"{obs.call}: its task ended {ended_at:g} s after the call; expected 1.5 s: "
             "cancelled at 1 s, then the 0.5 s the running calls need to clean up.",
             Reason.TIMING, obs=obs)
    obs.expect_clean()
