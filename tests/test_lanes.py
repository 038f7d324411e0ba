"""Lanes: one submission's tests shared out over grader processes forked after collection.
The report is the one a single grader process gives: same tests, order, messages, scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, run_grader
from test_class_alone import _normalised

import grader.scenarios  # noqa: F401  (registers the scenarios: which exercises run on the real clock)
from grader._manifest import load
from grader._plugin import GradingPlugin
from grader._status import Reason
from grader._suiterun import REAL_CLOCK_TESTS_PER_UNIT, SuiteRun, _Lanes

EXERCISES = {e.slug: e for e in load()}
# "subprocesses" has real-clock scenarios (split into units), "gathering" has none (whole).
SUITE = '''
import os
import time
from grader.testing import case, fail, Reason

SLUG = "{slug}"

def _log(name):
    with open({log!r}, "a") as f:
        f.write(f"{{os.getpid()}} {{name}}\\n")
    # Side by side: a test ends once another grader process has run a test too (5 s at
    # most), so the first lane cannot take every unit before the others have started.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open({log!r}) as f:
            if len({{line.split()[0] for line in f}}) > 1:
                return
        time.sleep(0.01)
'''
TEST = '''
@case(points={points})
def test_{slug}_{n}():
    _log("{slug}_{n}")
    {body}
'''


class FakeSandbox:
    """Stands in for the sandbox: these suites never ask a worker anything."""

    owns_zygote = False

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def start(self, slugs: list[str]) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # as the grader runs its suites


def _suite(slug: str, count: int, log: Path, out_of_time: int | None = None) -> str:
    tests = [TEST.format(slug=slug, n=n, points=n + 1,
                         body='fail("stopped", Reason.TIME_LIMIT)' if n == out_of_time
                         else f'fail("wrong {n}")' if n % 2 else "pass")
             for n in range(count)]
    return SUITE.format(slug=slug, log=str(log)) + "".join(tests)


def _grade_in_lanes(pytester: pytest.Pytester, out_of_time: int | None = None,
                    ) -> tuple[GradingPlugin, list[tuple[str, str]]]:
    log = pytester.path / "ran.log"
    pytester.makepyfile(test_subprocesses=_suite("subprocesses", 7, log, out_of_time),
                        test_gathering=_suite("gathering", 3, log))
    modules = {slug: pytester.path / f"{slug}.py" for slug in ("subprocesses", "gathering")}
    run = SuiteRun(EXERCISES, modules, {}, FakeSandbox)  # type: ignore[arg-type]
    plugin = GradingPlugin(EXERCISES, None, {})
    done = pytester.runpytest("-p", "no:cacheprovider", plugins=[plugin, _Lanes(run, plugin, 3)])
    assert done.ret == pytest.ExitCode.OK
    ran = [tuple(line.split()) for line in log.read_text().splitlines()]
    return plugin, ran  # type: ignore[return-value]


def _summary(plugin: GradingPlugin) -> list[tuple[str, int, Reason, str]]:
    return [(o.name, o.points, o.reason, o.message) for o in plugin.outcomes.values()]


def test_lanes_run_each_test_once_side_by_side_and_report_in_the_suites_order(
        pytester: pytest.Pytester) -> None:
    plugin, ran = _grade_in_lanes(pytester)
    assert sorted(name for _, name in ran) == sorted(
        [f"subprocesses_{n}" for n in range(7)] + [f"gathering_{n}" for n in range(3)])
    assert len({pid for pid, _ in ran}) > 1  # side by side
    # A virtual-clock exercise is one unit (one process); a real-clock one goes out in
    # units of a few tests, each in the suite's order.
    assert len({pid for pid, name in ran if name.startswith("gathering")}) == 1
    by_pid: dict[str, list[int]] = {}
    for pid, name in ran:
        if name.startswith("subprocesses"):
            by_pid.setdefault(pid, []).append(int(name.rsplit("_", 1)[1]))
    assert all(tests == sorted(tests) for tests in by_pid.values())
    assert [o.name for o in plugin.outcomes.values()] == (
        [f"test_gathering_{n}" for n in range(3)] + [f"test_subprocesses_{n}" for n in range(7)])
    expected = [(f"test_{slug}_{n}", n + 1, Reason.WRONG if n % 2 else Reason.NONE,
                 f"wrong {n}" if n % 2 else "")
                for slug, count in (("gathering", 3), ("subprocesses", 7)) for n in range(count)]
    assert _summary(plugin) == expected
    assert REAL_CLOCK_TESTS_PER_UNIT < 7  # else this suite would not be split


def test_an_exercise_out_of_time_in_a_unit_is_graded_again_in_one_piece(
        pytester: pytest.Pytester) -> None:
    # Its later tests must share what is left of its time, as in one grader process.
    plugin, ran = _grade_in_lanes(pytester, out_of_time=4)
    names = [name for _, name in ran]
    assert sorted(names).count("subprocesses_0") == 2 and names.count("gathering_0") == 1
    again = ran[-7:]
    assert [name for _, name in again] == [f"subprocesses_{n}" for n in range(7)]
    assert len({pid for pid, _ in again}) == 1
    stopped = next(o for o in plugin.outcomes.values() if o.name == "test_subprocesses_4")
    assert stopped.reason is Reason.TIME_LIMIT


def _report(folder: Path, parallel: int) -> dict[str, Any]:
    done = run_grader("grade", folder, "--format", "json", "--no-gradebook", "--only",
                      "executors", "--parallel", str(parallel))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_a_real_submission_gets_the_same_report_in_lanes_as_in_one_process(
        tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "executors" / "wrong_batches.py", tmp_path / "executors.py")
    alone, lanes = _report(tmp_path, 1), _report(tmp_path, 4)
    assert alone["score"] < alone["max_score"]  # failures, with messages, to compare
    assert _normalised(lanes) == _normalised(alone)


def test_a_grader_process_makes_sandboxes_without_the_childs_confinement_code() -> None:
    # Each of the eight lanes makes sandboxes: an import there is paid eight times over.
    code = ("import sys; from pathlib import Path; from grader._sandbox import Sandbox; "
            "Sandbox({'gathering': Path('/tmp/gathering.py')}, zygote=object()); "
            "print('grader._child.confine' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    assert done.stdout.strip() == "False"
