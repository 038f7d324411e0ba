"""Code that spins forever costs its exercise about twice the time limit, not a limit per
test, and no test that would finish loses its point (issue: diagnoses that name the cause)."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT

from grader._grading import grade
from grader._manifest import load
from grader._plugin import OVERRUN_FLOOR

SPINS = '''
import asyncio

async def slow_square(x, delay):
    while True:  # spins forever, never yielding to the loop
        pass

async def squares_concurrently(xs, delay):
    return list(await asyncio.gather(*(slow_square(x, delay) for x in xs)))

async def gather_settled(factories):
    return []
'''


def test_a_function_that_spins_forever_costs_its_exercise_about_twice_the_limit(
        tmp_path: Path) -> None:
    (tmp_path / "gathering.py").write_text(SPINS)
    report = grade(tmp_path, only=["gathering"])
    tests = {t.name: t for t in report.exercises[0].tests}
    limit = next(e.time_limit for e in load() if e.slug == "gathering")
    first = tests["test_slow_square_returns_the_square"]
    # A busy loop, named by the function that spins and its line, not a wait.
    assert first.reason == "busy-loop", first.message
    assert first.message.startswith("A busy loop in slow_square at gathering.py:5 (while True:")
    assert first.where is not None and first.where["line"] == 5
    later = [t for t in tests.values() if t.reason == "caused-by"]
    assert later and all(first.name in t.message and t.caused_by == first.name for t in later)
    # The grader's own account of each test's real time (no clock read here): the first
    # hang costs a limit, every later one shares half a limit more, with a short floor each.
    spent = sum(t.seconds for t in tests.values())
    assert spent <= 1.5 * limit + len(later) * OVERRUN_FLOOR + 1.0, spent
    # squares_concurrently calls the grader's slow_square, not the spinning one: full marks.
    for name in ("test_squares_in_the_order_of_xs", "test_squares_run_concurrently",
                 "test_squares_of_nothing"):
        assert tests[name].status == "passed", tests[name].message


def test_a_handler_that_spins_is_a_busy_loop_in_the_handler_not_the_call_that_returned(
        tmp_path: Path) -> None:
    # The handler of start_reverse_server waits for the client's EOF by spinning: the
    # server started at once; what never ends is the handler, on the CPU. (Not a sample:
    # the public checks, plain pytest, would spin with it.)
    solution = (ROOT / "solutions" / "streams.py").read_text()
    reads = "        while True:\n            line = await reader.readline()\n"
    assert reads in solution
    (tmp_path / "streams.py").write_text(solution.replace(
        reads, "        while not reader.at_eof():  # wait until the client has sent it all\n"
               "            pass\n" + reads, 1))
    first = grade(tmp_path, only=["streams"]).exercises[0].tests[0]
    assert first.reason == "busy-loop", first.message
    assert first.where is not None and first.where["function"] == "_serve_client"
    assert first.message.startswith("A busy loop in _serve_client at streams.py:"), first.message
    assert "(while not reader.at_eof():" in first.message and "blocking" not in first.message
