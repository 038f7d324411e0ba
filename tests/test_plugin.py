"""The grading plugin's rules, checked with pytester on small hand-made suites."""

from __future__ import annotations

import pytest

from grader._manifest import load
from grader._plugin import GradingPlugin
from grader._status import Reason
from grader._submission import Problem

GATHERING = next(e for e in load() if e.slug == "gathering")

SUITE = '''
from grader.scenarios import gathering as sc
from grader.scenarios import tasks
from grader.testing import case, fail, Reason

SLUG = "gathering"

@case(points=2, hidden=False, hints=("Look at the order.",))
def test_passes():
    pass

@case(points=3)
def test_fails_with_feedback():
    fail("slow_square(3, 1.0) returned 6; expected 9. Multiply x by itself.")

@case(points=1)
def test_has_a_bug_in_the_grader():
    {}["missing"]

@case(points=4)
def test_finds_the_problem(student):
    student.run(sc.slow_square, x=1, delay=0)

@case(points=1)
def test_asks_for_a_scenario_of_another_exercise(student):
    student.run(tasks.cancel_after, work={}, delay=1.0)

@case(points=1)
def test_asks_with_wrong_arguments(student):
    student.run(sc.slow_square, x=1, delay=0, colour="red")

@case(points=1)
def test_fails_for_timing(student):
    fail("took 10 s of loop time", Reason.TIMING)
'''


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # as the grader runs its suites


def run(pytester: pytest.Pytester, source: str, problems: dict[str, Problem] | None = None,
        visible_only: bool = False) -> tuple[GradingPlugin, pytest.RunResult]:
    pytester.makepyfile(test_suite=source)
    plugin = GradingPlugin({"gathering": GATHERING}, None, problems or {}, visible_only=visible_only)
    result = pytester.runpytest("-p", "no:cacheprovider", "--assert=plain", plugins=[plugin])
    return plugin, result


MISSING = Problem(Reason.MISSING, "gathering.py was not found in the submission")


def outcomes(plugin: GradingPlugin) -> dict[str, object]:
    return {o.name: o for o in plugin.outcomes.values()}


def test_outcomes_carry_points_visibility_hints_and_only_the_message(pytester: pytest.Pytester) -> None:
    plugin, _ = run(pytester, SUITE, {"gathering": MISSING})
    found = {o.name: o for o in plugin.outcomes.values()}
    passed = found["test_passes"]
    assert (passed.passed, passed.points, passed.hidden, passed.hints) == (True, 2, False,
                                                                             ["Look at the order."])
    failed = found["test_fails_with_feedback"]
    assert (failed.passed, failed.points, failed.hidden, failed.reason) == (False, 3, True, Reason.WRONG)
    assert failed.message == "slow_square(3, 1.0) returned 6; expected 9. Multiply x by itself."
    assert "Traceback" not in failed.message and "def test" not in failed.message
    assert found["test_fails_for_timing"].reason is Reason.TIMING


def test_a_grader_bug_is_not_blamed_on_the_student(pytester: pytest.Pytester) -> None:
    plugin, _ = run(pytester, SUITE, {"gathering": MISSING})
    bug = outcomes(plugin)["test_has_a_bug_in_the_grader"]
    assert bug.reason is Reason.GRADER_FAULT and not bug.passed
    assert bug.message.startswith("internal grader error in test_has_a_bug_in_the_grader")
    assert "bug in aiograde, not in your code" in bug.message
    assert "missing" not in bug.message and "{}" not in bug.message  # nothing of the suite's source


@pytest.mark.parametrize(("test", "says"), [
    ("test_asks_for_a_scenario_of_another_exercise", "tasks.cancel_after is not a scenario of gathering"),
    ("test_asks_with_wrong_arguments", "scenario gathering.slow_square called with wrong arguments"),
])
def test_a_suite_asking_for_what_no_scenario_offers_is_a_grader_fault(
        pytester: pytest.Pytester, test: str, says: str) -> None:
    # Checked before the child is asked anything: the student's worker never sees it.
    plugin, _ = run(pytester, SUITE, {"gathering": MISSING})
    fault = outcomes(plugin)[test]
    assert fault.reason is Reason.GRADER_FAULT, fault.message
    assert says in fault.message
    assert "sys.exit" not in fault.message


def test_a_submission_problem_fails_every_test_that_needs_the_module(pytester: pytest.Pytester) -> None:
    problem = Problem(Reason.UNREADABLE, "gathering.py is a symbolic link; the grader refuses "
                      "links. Submit the file itself.")
    plugin, _ = run(pytester, SUITE, {"gathering": problem})
    found = outcomes(plugin)["test_finds_the_problem"]
    assert (found.passed, found.message, found.reason) == (False, problem.message, Reason.UNREADABLE)


def test_visible_only_runs_only_what_students_see(pytester: pytest.Pytester) -> None:
    plugin, _ = run(pytester, SUITE, {"gathering": MISSING}, visible_only=True)
    assert [o.name for o in plugin.outcomes.values()] == ["test_passes"]


def test_a_test_without_points_is_refused(pytester: pytest.Pytester) -> None:
    _, result = run(pytester, 'SLUG = "gathering"\n\ndef test_unmarked():\n    pass\n')
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*every hidden test needs @case(points=...)*"])
