"""Hidden suite: gathering. Concurrency is read off the loop's virtual clock and an
instrumented ``slow_square`` that counts the calls running at once."""

from typing import Any

from grader._plugin import Student
from grader.scenarios import gathering as sc
from grader.testing import Raised, Reason, case, expect_equal, fail, show

SLUG = "gathering"

# Messages say what went wrong; the fix is in the last hint (exercism style).
CONCURRENT_HINTS = (
    "`await` waits for one call to finish before the code after it runs: awaiting each "
    "call in a loop runs them one after another.",
    "Make all the coroutines first, then wait for all of them at once: "
    "`await asyncio.gather(*(slow_square(x, delay) for x in xs))` (results in the order "
    "of xs).",
)


@case(points=1, hidden=False)
def test_slow_square_returns_the_square(student: Student):
    obs = student.run(sc.slow_square, x=7, delay=0.5)
    expect_equal(obs.returned(), 49, obs.call)


@case(points=1, hints=("`asyncio.sleep(delay)` only makes a coroutine: nothing waits until it "
                       "is awaited, `await asyncio.sleep(delay)`.",))
def test_slow_square_waits_the_delay(student: Student):
    obs = student.run(sc.slow_square, x=3, delay=2.0)
    obs.expect_not_blocking()
    obs.returned()
    skipped = (f"It returned without waiting: {obs.never_awaited[0]}. Calling an async "
               "function only makes a coroutine, which waits only when awaited."
               if obs.never_awaited else "It returned without waiting `delay` seconds.")
    obs.expect_elapsed(2.0, slow_hint="It waited longer than `delay` seconds: once is enough.",
                       fast_hint=skipped)


@case(points=1)
def test_slow_square_does_not_block(student: Student):
    obs = student.run(sc.slow_square, x=2, delay=0.25)
    obs.expect_not_blocking()
    expect_equal(obs.returned(), 4, obs.call)
    obs.expect_clean()


@case(points=1, hidden=False)
def test_squares_in_the_order_of_xs(student: Student):
    obs = student.run(sc.squares_concurrently, xs=[3, 1, 2], delay=0.5)
    expect_equal(obs.returned(), [9, 1, 4], obs.call,
                 "Results must follow the order of xs, not the order in which calls finish.")


@case(points=2, hidden=False, hints=CONCURRENT_HINTS)
def test_squares_run_concurrently(student: Student):
    xs = list(range(1, 11))
    obs = student.run(sc.squares_concurrently, xs=xs, delay=1.0,
                      call="squares_concurrently([1..10], delay=1.0)")
    obs.expect_not_blocking()
    expect_equal(obs.returned(), [x * x for x in xs], obs.call)
    calls = obs.value.calls
    if len(calls) != len(xs):
        fail(f"{obs.call} called slow_square {len(calls)} times; expected {len(xs)}, one per "
             "item, each square computed by slow_square(x, delay) called by its global name.")
    most = obs.value.most_at_once
    if most != len(xs):
        how = ("one after another: each started only when the one before had finished"
               if most <= 1 else f"at most {most} at a time: the others waited for a turn")
        fail(f"{obs.call} ran its {len(xs)} slow_square calls {how}, so it took "
             f"{obs.elapsed:g} s of loop time where running them all at once takes 1 s.",
             Reason.TIMING, obs=obs)
    obs.expect_elapsed(1.0, slow_hint="All the calls ran at once, yet it took longer than one "
                       "delay: it waited for something more.",
                       fast_hint="It returned before the calls had waited their `delay`.")


@case(points=1)
def test_squares_of_nothing(student: Student):
    obs = student.run(sc.squares_concurrently, xs=[], delay=5.0)
    expect_equal(obs.returned(), [], obs.call)
    obs.expect_elapsed(0.0, slow_hint="With nothing to compute there is nothing to wait for.",
                       fast_hint="")
    obs.expect_clean()


MIXED: list[dict[str, Any]] = [
    {"delay": 1.0, "value": "a"},
    {"delay": 0.5, "raise": "ValueError", "message": "bad input"},
    {"delay": 2.0, "value": 3},
]


def _outcome_of(item):
    """("ok", value) or ("error", exception type), to compare items whatever their order."""
    if type(item) is tuple and len(item) == 2 and isinstance(item[1], Raised):
        return (item[0], item[1].type)
    return item if type(item) is tuple else None


def _settled(obs):
    """What gather_settled returned, once it is known it did not let a failure escape."""
    error = obs.error
    if error is not None and (error.is_a("ValueError") or error.is_a("BaseExceptionGroup")):
        what = ("A TaskGroup raises an ExceptionGroup when one of its tasks fails (and "
                "cancels the others)." if error.is_a("BaseExceptionGroup") else
                "That is the failure of one awaitable, escaped.")
        fail(f"{obs.call} raised {error}. {what} A failure must come back as a value, "
             "(\"error\", exception), in its awaitable's place, while the others finish.",
             where=error.where)
    return obs.returned()


def _expect_settled(obs, returned):
    if type(returned) is not list or len(returned) != len(MIXED):
        fail(f"{obs.call} returned {show(returned)}; expected a list of {len(MIXED)} tuples, "
             "one per factory, in order.")
    expected = [("error", spec["raise"]) if "raise" in spec else ("ok", spec["value"])
                for spec in MIXED]
    got = [_outcome_of(item) for item in returned]
    if got != expected and sorted(map(repr, got)) == sorted(map(repr, expected)):
        fail(f"{obs.call} returned {show(returned)}: the right outcomes, in the order the "
             "awaitables finished (as `asyncio.as_completed` yields them), not in the order "
             "of factories.")
    for i, (item, spec) in enumerate(zip(returned, MIXED, strict=True)):
        if type(item) is not tuple or len(item) != 2:
            fail(f"{obs.call}: item {i} is {show(item)}; expected a tuple (\"ok\", value) or "
                 "(\"error\", exception).")
        if "raise" in spec:
            if item[0] != "error" or not isinstance(item[1], Raised) or not item[1].is_a("ValueError"):
                fail(f"{obs.call}: item {i} is {show(item)}; expected (\"error\", "
                     "ValueError('bad input')), the exception the awaitable raised.")
            if not obs.value.same_exception[i]:
                fail(f"{obs.call}: item {i} holds a ValueError, but not the one the awaitable "
                     "raised. Return the exception object itself.")
        elif item != ("ok", spec["value"]):
            fail(f"{obs.call}: item {i} is {show(item)}; expected ('ok', {spec['value']!r}).")


@case(points=1, hidden=False)
def test_settled_results_in_order(student: Student):
    obs = student.run(sc.gather_settled, scripts=MIXED,
                      call="gather_settled([ok after 1 s, ValueError after 0.5 s, ok after 2 s])")
    _expect_settled(obs, _settled(obs))


@case(points=1, hints=(
    "`asyncio.gather` stops waiting at the first failure (raising it), and a TaskGroup "
    "cancels the others; `return_exceptions` makes a failure a value like any result.",
    "`await asyncio.gather(*(f() for f in factories), return_exceptions=True)`, then turn "
    "each result into (\"ok\", value) or (\"error\", exception).",
))
def test_settled_failure_cancels_nothing(student: Student):
    obs = student.run(sc.gather_settled, scripts=MIXED,
                      call="gather_settled([ok after 1 s, ValueError after 0.5 s, ok after 2 s])")
    _expect_settled(obs, _settled(obs))
    for run in obs.value.runs:
        if run.outcome == "cancelled":
            fail(f"{obs.call}: awaitable {run.index} was cancelled when another one failed. "
                 "One failure must neither cancel nor delay the others.")
        if run.calls != 1:
            fail(f"{obs.call}: factory {run.index} was called {run.calls} times; expected "
                 "exactly once.")
    obs.expect_elapsed(2.0, slow_hint="It took longer than the slowest awaitable (2 s), as "
                       "when they are awaited one after another, not all at once.",
                       fast_hint="It returned before every awaitable had finished.")
    obs.expect_clean()


@case(points=1)
def test_settled_with_no_or_one_awaitable(student: Student):
    obs = student.run(sc.gather_settled, scripts=[], call="gather_settled([])")
    expect_equal(obs.returned(), [], obs.call, "No factories, no results.")
    obs.expect_elapsed(0.0, slow_hint="There is nothing to wait for.", fast_hint="")
    one = [{"delay": 0.5, "raise": "KeyError", "message": "alone"}]
    obs = student.run(sc.gather_settled, scripts=one,
                      call="gather_settled([KeyError after 0.5 s])")
    got = obs.returned()
    if type(got) is not list or len(got) != 1 or not isinstance(got[0], tuple) \
            or got[0][0] != "error" or not obs.value.same_exception[:1] == [True]:
        fail(f"{obs.call} returned {show(got)}; expected [('error', KeyError('alone'))], the "
             "exception object itself.")
    obs.expect_clean()
