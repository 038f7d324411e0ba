"""A test fails for its own reason only: a later test failing of a cause an earlier test
already reported says so (caused-by), instead of guessing a mistake of its own."""

from __future__ import annotations

from grader._manifest import load
from grader._plugin import TestOutcome
from grader._scoring import build_report
from grader._status import Reason
from grader._wire import Location

EXERCISE = next(e for e in load() if e.slug == "thread_bridge")
STARTS = "result_from_thread does not call start(callback) exactly once"


def outcome(name: str, reason: Reason = Reason.NONE, message: str = "", cause: str = "",
            where: Location | None = None) -> TestOutcome:
    return TestOutcome(slug=EXERCISE.slug, name=name, points=1, hidden=True, reason=reason,
                       message=message, cause=cause, where=where)


def graded(*outcomes: TestOutcome) -> dict[str, object]:
    report = build_report("x", [EXERCISE], list(outcomes), {}, {}, "tampering", 0.0)
    return {t.name: t for t in report.exercises[0].tests}


def test_a_named_cause_is_reported_once_then_referred_to() -> None:
    tests = graded(
        outcome("test_a", Reason.WRONG, "called start(callback) 0 times", STARTS),
        outcome("test_b"),
        outcome("test_c", Reason.HANG, "Each call needs its own future", STARTS),
        outcome("test_d", Reason.TIMING, "took 3 s", "another cause"))
    a, b, c, d = tests.values()
    assert (a.reason, a.caused_by, a.message) == ("wrong", None, "called start(callback) 0 times")
    assert b.status == "passed" and b.caused_by is None
    assert (c.reason, c.caused_by, c.status) == ("caused-by", "test_a", "failed")
    assert c.message == f"Failed because {STARTS}, as test_a reports; fix that first."
    assert c.score == 0
    assert (d.reason, d.caused_by, d.message) == ("timing", None, "took 3 s")


def test_a_cause_named_only_by_a_test_that_passed_explains_nothing() -> None:
    tests = graded(outcome("test_a", cause=STARTS),  # (a passed test names no cause)
                     outcome("test_b", Reason.WRONG, "its own words", STARTS))
    assert tests["test_b"].reason == "wrong" and tests["test_b"].message == "its own words"


def test_a_test_that_already_says_caused_by_keeps_its_words_and_names_the_first() -> None:
    spin = Location("gathering.py", 5, "slow_square", "while True:")
    tests = graded(
        outcome("test_a", Reason.BUSY_LOOP, "A busy loop in slow_square", "ran out of time",
                spin),
        outcome("test_b", Reason.CAUSED_BY, "stopped: out of time in test_a (see there)",
                "ran out of time"))
    assert tests["test_b"].caused_by == "test_a"
    assert tests["test_b"].message == "stopped: out of time in test_a (see there)"
