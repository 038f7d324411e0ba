"""Hidden suite: coroutines. Values come back through the scenario, printed lines through the
captured standard output, and the loops ``run_double`` makes through a twin of
``async_double`` that notes the loop it ran on (and a watch on every loop created)."""

import re

from grader._plugin import Student
from grader.scenarios import coroutines as sc
from grader.testing import Reason, case, expect_equal, fail, show

SLUG = "coroutines"

NOT_RUN = ("Calling an async function only builds a coroutine object; `await` it inside a "
           "coroutine, or run it with `asyncio.run(...)` from synchronous code.")


def _no_address(text: str) -> str:
    return re.sub(r" at 0x[0-9a-fA-F]+", "", text)


def _describe(gave: sc.Gave) -> str:
    if gave.kind == "coroutine":
        return f"a coroutine object ({gave.name}), never run"
    if gave.kind == "awaitable":
        return f"an awaitable {gave.name} object, not a value"
    if gave.kind == "object":
        return f"a {gave.name} object"
    return show(gave.value)


@case(points=1, hidden=False)
def test_async_double_doubles(student: Student):
    xs = [21, -3, 0]
    obs = student.run(sc.async_double, xs=xs, call="await async_double(x) for x in [21, -3, 0]")
    results = obs.returned()
    for x, got in zip(xs, results, strict=True):
        if got.not_awaitable is not None:
            fail(f"async_double({x}) returned {_describe(got.not_awaitable)} directly, not "
                 "something to await. Declare it with `async def async_double(x)`.")
        expect_equal(got.value, 2 * x, f"await async_double({x})")
    if not obs.value.coroutine_function:
        fail("async_double is not a coroutine function: declare it with `async def`.")
    obs.expect_not_blocking()


def _print_failure(obs, expected: str, twin: bool = False) -> None:
    if obs.error is not None and obs.error.is_a("RuntimeError") and "running event loop" in obs.error.message:
        fail(f"{obs.call} raised {obs.error}. print_double already runs on an event loop: "
             "asyncio.run() would start a second one. Inside a coroutine, just "
             "`await async_double(x)`.")
    if obs.error is not None and obs.error.is_a("TypeError") and "await" in obs.error.message:
        fail(f"{obs.call} raised {obs.error}. Only awaitables can be awaited: is async_double "
             "declared with `async def`?")
    obs.expect_no_error()
    if twin and obs.never_awaited:
        fail(f"{obs.call}: {obs.never_awaited[0]}. {NOT_RUN}")
    if obs.value.not_awaitable is not None:
        fail(f"{obs.call}: print_double(...) returned {_describe(obs.value.not_awaitable)} instead "
             "of a coroutine. Declare it with `async def print_double(x)`.")
    if obs.stdout != expected:
        hint = NOT_RUN if "coroutine object" in obs.stdout else \
            "Print the value, once, as one line: `print(await async_double(x))`."
        fail(f"{obs.call} printed {_no_address(obs.stdout)!r}; expected {expected!r}. {hint}")


@case(points=1, hidden=False)
def test_print_double_prints_the_value(student: Student):
    obs = student.run(sc.print_double, x=3, call="await print_double(3)")
    _print_failure(obs, "6\n")
    expect_equal(obs.value.returned, None, obs.call,
                 "print_double prints the value; it returns nothing.")
    obs.expect_not_blocking()


@case(points=1)
def test_print_double_awaits_async_double(student: Student):
    obs = student.run(sc.print_double, x=5, twin=True,
                      call="await print_double(5) (with async_double replaced by a twin that "
                           "returns 'twin says 10')")
    _print_failure(obs, "twin says 10\n", twin=True)
    twin = obs.value.twin
    if twin.started != 1 or twin.finished != 1:
        fail(f"{obs.call} ran async_double {twin.started} times (finished {twin.finished}); "
             "expected exactly once, awaited to the end. Call it by its global name, "
             "`await async_double(x)`, and print what it returns.")
    obs.expect_not_blocking()
    obs.expect_clean()


@case(points=1, hidden=False)
def test_run_double_returns_the_value(student: Student):
    xs = [5, -7]
    obs = student.run(sc.run_double, xs=xs, call="run_double(x) for x in [5, -7], from plain "
                      "synchronous code (async_double replaced by a plain twin)")
    if obs.error is not None and obs.error.is_a("RuntimeError") \
            and not obs.error.is_a("NotImplementedError"):
        fail(f"{obs.call} raised {obs.error}. With no loop running, a new one must be made: "
             "`asyncio.run(async_double(x))` creates it, runs the coroutine and closes it.")
    for x, got in zip(xs, obs.returned(), strict=True):
        if got.kind != "value":
            fail(f"run_double({x}) returned {_describe(got)}; expected {2 * x}. {NOT_RUN}")
        expect_equal(got.value, 2 * x, f"run_double({x})")


@case(points=1)
def test_run_double_closes_its_new_loop(student: Student):
    obs = student.run(sc.run_double_loops, xs=[4, 6], nested_x=3,
                      call="run_double(4) then run_double(6) from plain synchronous code "
                           "(async_double replaced by a twin that notes its loop)")
    plain, nested = obs.result().plain, obs.value.nested
    loops = plain.loops
    for x, got in zip([4, 6], plain.returned, strict=True):
        if got.kind != "value":
            fail(f"run_double({x}) returned {_describe(got)}; expected {2 * x}. {NOT_RUN}")
        expect_equal(got.value, 2 * x, f"run_double({x})")
    if loops.runs != 2:
        fail(f"{obs.call} ran async_double {loops.runs} times; expected once per call, on an "
             "event loop. Call it by its global name: `asyncio.run(async_double(x))`.")
    if not all(loops.ran_on_closed):
        fail(f"{obs.call}: the loop that ran async_double was still open after run_double "
             "returned. A loop you create must be closed (in a `finally`), or let "
             "`asyncio.run(...)` create, run and close it.", Reason.LEAK)
    if loops.distinct_loops != 2:
        fail(f"{obs.call} ran both calls on the same loop; each call needs a new event loop "
             "(a closed loop cannot run again).")
    if loops.created_open:
        fail(f"{obs.call} left {loops.created_open} event loop(s) it created open. Close "
             "every loop you make.", Reason.LEAK)
    # The contract says nothing of a call on a running loop, beyond what holds everywhere:
    # the caller's loop unharmed, nothing left open. How it fails (or not) is its own.
    call = "run_double(3) called from a coroutine while a loop is running"
    if not nested.outer_ok or not nested.outer_still_current:
        fail(f"{call} broke the loop that was running (it was stopped or closed). run_double "
             "must only ever touch the new loop it makes.")
    if nested.loops is not None and nested.loops.created_open:
        fail(f"{call} raised as expected but left the new loop it created open. Close it in a "
             "`finally` (asyncio.run does this for you).", Reason.LEAK)
