"""A class grading (warm grader processes, a shared fork server) gives every student the very
report that grading them alone gives, and no student's worker can read another's module."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from conftest import ROOT, SAMPLES, run_grader

HOSTILE = Path(__file__).parent / "hostile"
ONLY = ["--only", "coroutines", "--only", "gathering"]
SECRET = "VICTIM-" + "SECRET-7f3a"  # split, so the spy's own source never holds it whole

# Reads every module it can find: the class folder (hidden from workers) and the grader's
# temporary folders, where the modules being graded are copied; prints what it found.
SPY = '''
import asyncio, glob

MARK = "VICTIM-" + "SECRET-7f3a"
PLACES = [{cls!r} + "/*/*.py", "/tmp/aiograde-*/*.py", "/tmp/*/*.py", "/var/tmp/*/*.py"]


def _look():
    seen = []
    for pattern in PLACES:
        for path in glob.glob(pattern):
            try:
                with open(path) as f:
                    if MARK in f.read():
                        seen.append(path)
            except OSError:
                pass
    return seen


FOUND = _look()


def regular_double(x):
    return 2 * x


async def async_double(x):
    return 2 * x


async def print_double(x):
    print(f"seen:{{FOUND}}")


def run_double(x):
    return asyncio.run(async_double(x))
'''


def _normalised(report: dict[str, Any]) -> str:
    """The report without what differs between any two gradings: durations, the real-clock
    moments of a timeline, and object addresses in a message."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if k not in ("duration", "seconds", "start", "end")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, str):
            return re.sub(r"0x[0-9a-f]+", "0x?", value)
        return value
    return json.dumps(strip(report), indent=1, sort_keys=True)


def make_class(folder: Path) -> None:
    students = {
        # graded first, by the same warm grader process (--jobs 1) as the spy after it
        "a-victim": {"coroutines": ROOT / "solutions/coroutines.py",
                     "gathering": ROOT / "solutions/gathering.py"},
        # Its module kills its parent while importing: in a PID namespace that is nobody
        # outside it (the namespace's first process ignores the SIGKILL), the same every time.
        "b-killer": {"coroutines": ROOT / "solutions/coroutines.py",
                     "gathering": HOSTILE / "kills_fork_server/gathering.py"},
        "c-spy": {"gathering": SAMPLES / "gathering/wrong_sequential.py"},
        "d-stub": {"coroutines": ROOT / "exercises/coroutines.py",
                   "gathering": HOSTILE / "exit_at_import/gathering.py"},
    }
    for name, modules in students.items():
        (folder / name).mkdir(parents=True)
        for slug, source in modules.items():
            shutil.copy(source, folder / name / f"{slug}.py")
    with (folder / "a-victim" / "coroutines.py").open("a") as module:
        module.write(f"\n# {SECRET}\n")
    (folder / "c-spy" / "coroutines.py").write_text(SPY.format(cls=str(folder.resolve())))


def test_class_reports_are_the_reports_of_each_student_alone(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    make_class(folder)
    done = run_grader("grade", folder, "--class", "--jobs", "1", "--format", "json",
                      "--no-gradebook", *ONLY)
    assert done.returncode == 0, done.stderr
    students = json.loads(done.stdout)["students"]
    assert sorted(students) == ["a-victim", "b-killer", "c-spy", "d-stub"]
    for name, in_class in students.items():
        alone = run_grader("grade", "--format", "json", "--no-gradebook", "--hide", folder,
                           *ONLY, "--", folder / name)
        assert alone.returncode == 0, alone.stderr
        assert _normalised(in_class) == _normalised(json.loads(alone.stdout)), name
    # The killer cost itself its gathering, and nobody after it anything.
    assert students["b-killer"]["score"] == students["a-victim"]["score"] - 10
    spied = {t["name"]: t for e in students["c-spy"]["exercises"] for t in e["tests"]}
    assert "seen:[]" in spied["test_print_double_prints_the_value"]["message"]
    assert SECRET not in done.stdout


def test_no_worker_reads_another_students_module_even_side_by_side(tmp_path: Path) -> None:
    folder = tmp_path / "class"
    make_class(folder)
    for i in range(3):  # more victims, graded beside the spy (--jobs 4)
        shutil.copytree(folder / "a-victim", folder / f"a-victim-{i}")
    done = run_grader("grade", folder, "--class", "--jobs", "4", "--format", "json",
                      "--no-gradebook", *ONLY)
    assert done.returncode == 0, done.stderr
    spy = json.loads(done.stdout)["students"]["c-spy"]
    spied = {t["name"]: t for e in spy["exercises"] for t in e["tests"]}
    assert "seen:[]" in spied["test_print_double_prints_the_value"]["message"]
    assert SECRET not in done.stdout
