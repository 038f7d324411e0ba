"""The grading plugin's rules, checked with pytester on small hand-made suites."""

from __future__ import annotations

import pytest

from grader._manifest import load
from grader._plugin import GradingPlugin

GATHERING = next(e for e in load() if e.slug == "gathering")

SUITE = '''
from grader.testing import case, fail

SLUG = "gathering"

@case(points=2, hidden=False)
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
    student.run("slow_square", x=1, delay=0)
'''


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # as the grader runs its suites


def run(pytester: pytest.Pytester, source: str, problems: dict[str, str] | None = None):
    pytester.makepyfile(test_suite=source)
    plugin = GradingPlugin({"gathering": GATHERING}, None, problems or {})
    result = pytester.runpytest("-p", "no:cacheprovider", "--assert=plain", plugins=[plugin])
    return plugin, result


def test_outcomes_carry_points_visibility_and_only_the_message(pytester: pytest.Pytester) -> None:
    problem = "gathering.py was not found in the submission"
    plugin, _ = run(pytester, SUITE, {"gathering": problem})
    outcomes = {o.name: o for o in plugin.outcomes.values()}
    passed = outcomes["test_passes"]
    assert (passed.passed, passed.points, passed.hidden) == (True, 2, False)
    failed = outcomes["test_fails_with_feedback"]
    assert (failed.passed, failed.points, failed.hidden, failed.internal_error) == (False, 3, True, False)
    assert failed.message == "slow_square(3, 1.0) returned 6; expected 9. Multiply x by itself."
    assert "Traceback" not in failed.message and "def test" not in failed.message


def test_a_grader_bug_is_not_blamed_on_the_student(pytester: pytest.Pytester) -> None:
    plugin, _ = run(pytester, SUITE, {"gathering": "x"})
    bug = next(o for o in plugin.outcomes.values() if o.name == "test_has_a_bug_in_the_grader")
    assert bug.internal_error and not bug.passed
    assert bug.message.startswith("internal grader error in call: KeyError")


def test_a_submission_problem_fails_every_test_that_needs_the_module(pytester: pytest.Pytester) -> None:
    problem = "gathering.py is a symbolic link; the grader refuses links. Submit the file itself."
    plugin, _ = run(pytester, SUITE, {"gathering": problem})
    found = next(o for o in plugin.outcomes.values() if o.name == "test_finds_the_problem")
    assert (found.passed, found.message) == (False, problem)


def test_a_test_without_points_is_refused(pytester: pytest.Pytester) -> None:
    _, result = run(pytester, 'SLUG = "gathering"\n\ndef test_unmarked():\n    pass\n')
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*every hidden test needs @case(points=...)*"])
