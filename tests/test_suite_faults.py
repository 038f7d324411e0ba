"""A hidden suite or scenario module that does not load is a grader bug: each test of that
exercise is an ``error`` (worth its points, blamed on nobody's code), the other exercises are
graded as usual, and neither the grading nor the fork server ends in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import _plugin
from grader._manifest import load
from grader._plugin import GradingPlugin, TestOutcome
from grader._status import Reason
from grader._suiterun import Collected

EXERCISES = {e.slug: e for e in load() if e.slug in ("gathering", "tasks")}
SUITE = '''
import broken_scenarios as sc
from grader.testing import case

SLUG = "{slug}"

@case(points=2, hidden=False, hints=("Look at the order.",))
def test_visible():
    pass

@case(points=3)
def test_hidden():
    pass
'''
GOOD = '''
from grader.testing import case

SLUG = "tasks"

@case(points=4)
def test_runs():
    pass
'''


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # as the grader runs its suites


def _run(pytester: pytest.Pytester, suite: str, visible_only: bool = False) -> GradingPlugin:
    pytester.makepyfile(broken_scenarios="def scenario(:\n    pass\n",
                        test_gathering=suite, test_tasks=GOOD)
    plugin = GradingPlugin(EXERCISES, None, {}, visible_only=visible_only)
    pytester.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors",
                       plugins=[plugin])
    return plugin


def test_each_test_of_a_suite_that_does_not_load_is_an_error(pytester: pytest.Pytester) -> None:
    plugin = _run(pytester, SUITE.format(slug="gathering"))
    found = {o.name: o for o in plugin.outcomes.values()}
    assert sorted(found) == ["test_hidden", "test_runs", "test_visible"]
    visible, hidden = found["test_visible"], found["test_hidden"]
    assert (visible.slug, visible.points, visible.hidden, visible.hints) == (
        "gathering", 2, False, ["Look at the order."])
    assert (hidden.points, hidden.hidden) == (3, True)
    for fault in (visible, hidden):
        assert fault.reason is Reason.GRADER_FAULT and not fault.passed
        assert fault.message == ("internal grader error: the hidden tests of gathering could "
                                 "not be loaded (SyntaxError: invalid syntax). This is a bug in "
                                 "aiograde, not in your code.")
    assert found["test_runs"].passed  # the other exercise is graded as usual


def test_a_suite_that_does_not_parse_is_one_error_worth_the_exercise(
        pytester: pytest.Pytester) -> None:
    plugin = _run(pytester, SUITE.format(slug="gathering") + "\ndef oops(:\n")
    fault = next(o for o in plugin.outcomes.values() if o.slug == "gathering")
    assert (fault.name, fault.points, fault.reason) == (
        "test_gathering", EXERCISES["gathering"].points, Reason.GRADER_FAULT)


def test_visible_only_leaves_out_the_hidden_errors(pytester: pytest.Pytester) -> None:
    plugin = _run(pytester, SUITE.format(slug="gathering"), visible_only=True)
    assert [o.name for o in plugin.outcomes.values() if o.slug == "gathering"] == ["test_visible"]


def test_a_suite_naming_no_exercise_is_not_silently_dropped(pytester: pytest.Pytester) -> None:
    plugin = _run(pytester, SUITE.format(slug="no_such_exercise"))
    assert len(plugin.unattributed) == 1 and "SyntaxError" in plugin.unattributed[0]


def test_the_scenarios_package_loads_beside_a_broken_scenario_module(tmp_path: Path) -> None:
    # What the fork server imports first: a broken module must not take the others down.
    (tmp_path / "broken.py").write_text("def scenario(:\n")
    package = Path(__file__).resolve().parent.parent / "grader" / "scenarios"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('grader.scenarios', "
        f"{str(package / '__init__.py')!r}, submodule_search_locations=[{str(package)!r}, "
        f"{str(tmp_path)!r}])\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['grader.scenarios'] = module\n"
        "spec.loader.exec_module(module)\n"
        "from grader._child.kit import REGISTRY\n"
        "print(sorted({name.split('.')[0] for name in REGISTRY}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "gathering" in done.stdout and "subprocesses" in done.stdout


FAILS = '''
import warnings

import pytest
from grader.testing import fail


@pytest.fixture
def broken_fixture():
    raise RuntimeError("a fixture bug")


@pytest.fixture
def breaks_after():
    yield
    raise RuntimeError("a teardown bug")


@case(points=1, hidden=False)
def test_fails():
    raise ValueError("a grader bug")


@case(points=1)
def test_fails_in_setup(broken_fixture):
    pass


@case(points=1)
def test_fails_in_teardown(breaks_after):
    pass


@case(points=2)
def test_wrong_then_fails_in_teardown(breaks_after):
    fail("run_all returned [1, 2]; expected [2, 1]")


@case(points=1)
def test_pytest_fails():
    pytest.fail("pytest's own failure")


@case(points=1)
def test_warns():  # an error, by the ini's filterwarnings (as grader/pytest.ini)
    warnings.warn("a warning of the grader's", UserWarning)


@case(points=1)
def test_warns_ignored():  # ignored by the ini's filterwarnings
    warnings.warn("a deprecated call of the grader's", DeprecationWarning)


@case(points=1)
def test_skips():
    pytest.skip("never in a suite")


@pytest.fixture(scope="module")
def module_state():
    yield "kept"
    raise RuntimeError("a module fixture's teardown bug")


@case(points=1)
def test_asks_for_the_student_alone(student):
    assert student.test == "test_asks_for_the_student_alone"


@case(points=1)
def test_asks_for_a_module_fixture_too(student, module_state):
    assert student.test == "test_asks_for_a_module_fixture_too" and module_state == "kept"


@case(points=1)
def test_asks_for_the_student_alone_again(student):
    assert student.test == "test_asks_for_the_student_alone_again"
'''


class _RunCollected:
    """In place of pytest's test loop: the tests of the collected session, as a warm grader
    process's forked grading runs them (grader._gradeserver)."""

    def __init__(self, collected_by: GradingPlugin, grading: GradingPlugin,
                 slugs: list[str], first: int = 0) -> None:
        self.collected_by, self.grading, self.slugs, self.first = collected_by, grading, slugs, \
            first
        self.result: GradingPlugin | None = None
        self.ran: list[TestOutcome] = []  # in the order the tests ended

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        # (the grader's own word that a test ended: pytest's hooks are not called for it)
        _plugin.on_test_finished = self.ran.append
        try:
            self.result = Collected(session, self.collected_by).run(self.grading, self.slugs,
                                                                    self.first)
        finally:
            _plugin.on_test_finished = None
        return True


@pytest.mark.parametrize(("slugs", "visible_only", "first", "loads"), [
    (["gathering", "tasks"], False, 0, False), (["tasks"], False, 0, False),
    (["gathering"], True, 0, False), (["gathering", "tasks"], False, 1, True),
    (["gathering", "tasks"], True, 3, True)])
def test_a_collected_session_runs_what_a_fresh_session_would(
        pytester: pytest.Pytester, slugs: list[str], visible_only: bool, first: int,
        loads: bool) -> None:
    """``loads``: the gathering suite loads (else it is broken); ``first``: the exercise the
    kept session's grading starts with."""
    gathering = SUITE.format(slug="gathering")
    if loads:
        gathering = gathering.replace("import broken_scenarios as sc\n", "")
    pytester.makepyfile(broken_scenarios="def scenario(:\n    pass\n",
                        test_gathering=gathering, test_tasks=GOOD + FAILS)
    # (warning filters: one an error, one ignored, whichever loop runs the test)
    pytester.makeini("[pytest]\nfilterwarnings =\n    error::UserWarning\n"
                     "    ignore::DeprecationWarning\n")
    asked = {slug: EXERCISES[slug] for slug in slugs}

    def seen(plugin: GradingPlugin) -> list[tuple[object, ...]]:
        return [(node, o.slug, o.name, o.points, o.hidden, o.reason, o.message)
                for node, o in plugin.outcomes.items()]

    fresh = GradingPlugin(asked, None, {}, visible_only=visible_only)
    pytester.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors",
                       *[f"test_{slug}.py" for slug in slugs], plugins=[fresh])
    # Collected once for every exercise, then run for those asked only.
    loop = _RunCollected(GradingPlugin(EXERCISES, None, {}),
                         GradingPlugin(asked, None, {}, visible_only=visible_only), slugs,
                         first)
    pytester.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors",
                       plugins=[loop.collected_by, loop])
    assert loop.result is not None
    assert seen(loop.result) == seen(fresh)  # the outcomes, in the suites' order
    # ... whichever exercise ran first: the one at ``first``, its tests in their order
    ran_slugs = list(dict.fromkeys(outcome.slug for outcome in loop.ran))
    with_tests = [s for s in slugs if loads or s != "gathering"]  # (a broken suite runs none)
    start = first % len(with_tests) if with_tests else 0
    assert ran_slugs == with_tests[start:] + with_tests[:start]
    assert sorted(loop.ran, key=lambda outcome: ran_slugs.index(outcome.slug)) == loop.ran
    assert {o.slug for o in fresh.outcomes.values()} == set(slugs)
    assert any(o.reason is Reason.GRADER_FAULT for o in fresh.outcomes.values())
    if "tasks" in slugs and not visible_only:  # each phase's failure, whichever loop ran it
        said = {o.name: (o.reason, o.message) for o in loop.result.outcomes.values()}
        bug = "This is a bug in aiograde, not in your code."
        assert said["test_fails_in_setup"] == (
            Reason.GRADER_FAULT, f"internal grader error in test_fails_in_setup (setup): "
            f"RuntimeError. {bug}")
        assert said["test_fails_in_teardown"] == (
            Reason.GRADER_FAULT, f"internal grader error in test_fails_in_teardown (teardown): "
            f"RuntimeError. {bug}")
        assert said["test_wrong_then_fails_in_teardown"] == (
            Reason.WRONG, "run_all returned [1, 2]; expected [2, 1]")  # (the first failure)
        assert said["test_warns"][0] is Reason.GRADER_FAULT
        assert said["test_warns_ignored"] == (Reason.NONE, "")
        assert said["test_pytest_fails"][0] is Reason.GRADER_FAULT
        assert said["test_skips"] == (Reason.NONE, "")
        for name in ("test_asks_for_the_student_alone", "test_asks_for_a_module_fixture_too"):
            assert said[name] == (Reason.NONE, ""), name
        # (the module fixture's teardown runs once its module's last test has run)
        assert said["test_asks_for_the_student_alone_again"][0] is Reason.GRADER_FAULT
