"""The grading command as users run it: reports, formats, and bad input."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_grader

from grader._classgrading import JOBS_PER_CORE
from grader._formats import FORMATS
from grader._gradebook import Gradebook
from grader._report import ExerciseResult, Report
from grader._report import TestResult as Outcome  # not collected as a test class


def test_json_report_has_the_documented_shape(submission) -> None:
    folder = submission({"gathering": ROOT / "solutions" / "gathering.py"})
    done = run_grader("grade", folder, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"score", "max_score", "exercises", "schema_version", "grader_version"} <= set(report)
    by_slug = {e["slug"]: e for e in report["exercises"]}
    assert len(by_slug) == 13
    gathering = by_slug["gathering"]
    assert (gathering["score"], gathering["max_score"], gathering["status"]) == (10, 10, "passed")
    for test in gathering["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "message", "hidden"}
    missing = by_slug["coroutines"]
    assert missing["status"] == "missing" and missing["score"] == 0
    assert "coroutines.py was not found" in missing["tests"][0]["message"]
    assert report["score"] == 10 and report["max_score"] == 157


def test_table_is_the_default_format(submission) -> None:
    folder = submission({"gathering": ROOT / "solutions" / "gathering.py"})
    done = run_grader("grade", folder, "--only", "gathering", "--only", "coroutines")
    assert done.returncode == 0, done.stderr
    assert "gathering" in done.stdout and "10/10" in done.stdout and "total" in done.stdout
    assert "coroutines.py was not found" in done.stdout


def test_bad_input_is_refused_with_what_to_do(tmp_path: Path) -> None:
    for args, says in [
        (["grade", tmp_path / "nowhere"], "does not exist"),
        (["grade", ROOT / "pyproject.toml"], "is not a folder"),
        (["grade", tmp_path], "no exercise module found"),
        (["grade", ROOT / "solutions", "--only", "nonsense"], "unknown exercise(s) ['nonsense']"),
    ]:
        done = run_grader(*args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert says in done.stderr, done.stderr
        assert done.stdout == ""


def test_every_format_from_one_grading(submission, tmp_path: Path) -> None:
    folder = submission({"gathering": ROOT / "exercises" / "gathering.py"})
    out = tmp_path / "out"
    out.mkdir()
    writes = [f"{name}={out / name}" for name in ("json", "markdown", "junit", "gradescope",
                                                   "exercism")]
    done = run_grader("grade", folder, "--only", "gathering", "--no-gradebook", "--format",
                      "markdown", *[arg for w in writes for arg in ("--write", w)])
    assert done.returncode == 0, done.stderr
    assert "gathering" in done.stdout and "0/10" in done.stdout  # markdown on stdout
    assert json.loads((out / "json").read_text())["score"] == 0
    assert (out / "junit").read_text().startswith("<?xml")
    assert json.loads((out / "gradescope").read_text())["score"] == 0
    assert json.loads((out / "exercism").read_text())["version"] == 3
    assert (out / "markdown").read_text().strip() == done.stdout.strip()


def test_every_grading_lands_in_the_gradebook(submission, tmp_path: Path) -> None:
    folder = submission({"gathering": ROOT / "solutions" / "gathering.py"})
    book = tmp_path / "book.sqlite3"
    for _ in range(2):
        done = run_grader("grade", folder, "--only", "gathering", "--gradebook", book,
                          "--student", "ada", "--format", "json")
        assert done.returncode == 0, done.stderr
    csv = run_grader("gradebook", "csv", "--gradebook", book)
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("student,score,max_score") and len(lines) == 2
    assert lines[1].startswith("ada,10,10")
    html = tmp_path / "class.html"
    assert run_grader("gradebook", "html", "--gradebook", book, "-o", html).returncode == 0
    assert "pass-rates" in html.read_text()
    missing = run_grader("gradebook", "csv", "--gradebook", tmp_path / "nothing.sqlite3")
    assert missing.returncode == 2 and "no gradebook at" in missing.stderr


def test_unknown_formats_are_refused(submission) -> None:
    folder = submission({"gathering": ROOT / "solutions" / "gathering.py"})
    for args, says in [(["--format", "pdf"], "unknown format 'pdf'"),
                       (["--write", "junit"], "--write takes FORMAT=PATH"),
                       (["--write", "pdf=x.pdf"], "unknown format 'pdf' in --write")]:
        done = run_grader("grade", folder, "--no-gradebook", *args)
        assert done.returncode == 2 and says in done.stderr, done.stderr


def run_from(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def refused(done: subprocess.CompletedProcess[str], says: str) -> bool:
    return done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["--jobs", "-1", "--class"], "argument --jobs: must be at least 1, got -1"),
    (["--jobs", "0", "--class"], "argument --jobs: must be at least 1, got 0"),
    (["--jobs", "many", "--class"], "argument --jobs: expected a whole number, got 'many'"),
    (["--parallel", "0"], "argument --parallel: must be at least 1, got 0"),
    (["--student", ""], "argument --student: must not be empty"),
    (["--jobs", "2"], "--jobs only applies with --class"),
    (["--force"], "--force only applies with --class"),
    (["--write", "json=/nonexistent/r.json"], "cannot write /nonexistent/r.json: the folder "
     "/nonexistent does not exist"),
    (["--write", "json=."], "cannot write .: it is a folder"),
    (["--write", "json=r.json", "--write", "exercism=r.json"], "two --write options write r.json"),
    (["--gradebook", "/nonexistent/book.sqlite3"], "the folder /nonexistent does not exist"),
])
def test_bad_options_are_refused_before_grading(tmp_path: Path, args: list[str], says: str) -> None:
    done = run_from(tmp_path, "grade", ROOT / "solutions", "--only", "coroutines", *args)
    assert refused(done, says), done.stderr
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing graded, nothing recorded, nothing written


def test_a_gradebook_from_a_newer_aiograde_or_no_gradebook_is_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    Gradebook(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    (tmp_path / "notes.txt").write_text("not a gradebook\n")
    for book, says in [(newer, "newer than this aiograde knows"),
                       (tmp_path / "notes.txt", "is not a gradebook")]:
        grading = run_from(tmp_path, "grade", ROOT / "solutions", "--only", "coroutines",
                           "--gradebook", book)
        assert refused(grading, says) and grading.stdout == "", grading.stderr
        export = run_from(tmp_path, "gradebook", "csv", "--gradebook", book)
        assert refused(export, says), export.stderr


def test_a_write_that_fails_after_grading_says_so(tmp_path: Path) -> None:
    # /dev/full passes every check and then fails the write (no space left on the device).
    done = run_from(tmp_path, "grade", ROOT / "solutions", "--only", "coroutines",
                    "--no-gradebook", "--format", "json", "--write", "junit=/dev/full")
    assert refused(done, "graded, but could not write /dev/full: No space left on device"), \
        done.stderr
    assert json.loads(done.stdout)["score"] == 5  # the report is still printed
    export = run_from(tmp_path, "gradebook", "csv", "--gradebook", tmp_path / "b.sqlite3")
    assert refused(export, "no gradebook at")
    Gradebook(tmp_path / "b.sqlite3").close()
    export = run_from(tmp_path, "gradebook", "html", "--gradebook", tmp_path / "b.sqlite3", "-o",
                      tmp_path / "nowhere" / "class.html")
    assert refused(export, "could not write"), export.stderr


def test_an_only_grading_is_recorded_as_such(tmp_path: Path) -> None:
    done = run_from(tmp_path, "grade", ROOT / "solutions", "--only", "coroutines", "--student",
                    "ada")
    assert done.returncode == 0, done.stderr
    with Gradebook(tmp_path / "aiograde.sqlite3") as book:  # the default: the caller's folder
        [grading] = book.latest_gradings()
    assert (grading.student, grading.only, grading.report.max_score) == ("ada", ["coroutines"], 5)


# -- ./dev, and the docs against the code -------------------------------------------------------

def run_dev(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "dev"), *map(str, args)], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def test_dev_takes_paths_as_typed_from_any_folder(tmp_path: Path) -> None:
    (tmp_path / "class" / "alice").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "coroutines.py", tmp_path / "class" / "alice")
    done = run_dev(tmp_path, "grade", "class/alice", "--only", "coroutines", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 5
    assert (tmp_path / "aiograde.sqlite3").is_file()  # the gradebook lands where you are
    export = run_dev(tmp_path, "gradebook", "csv", "-o", "grades.csv")
    assert export.returncode == 0, export.stderr
    assert (tmp_path / "grades.csv").read_text().startswith("student,score")


def _compiled(module: Path) -> bool:
    """Whether ``module`` has bytecode of its present source (the header's mtime and size)."""
    cached = Path(importlib.util.cache_from_source(str(module)))
    if not cached.is_file():
        return False
    mtime, size = struct.unpack("<II", cached.read_bytes()[8:16])
    source = module.stat()
    return (mtime, size) == (int(source.st_mtime) & 0xFFFFFFFF, source.st_size & 0xFFFFFFFF)


def test_dev_compiles_the_grader_when_a_module_changed(tmp_path: Path) -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, nothing else writes the grader's bytecode."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "grader", tree / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("dev", "pyproject.toml"):
        shutil.copy(ROOT / name, tree / name)
    (tree / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    os.utime(tree / "pyproject.toml", (0, 0))  # older than .installed: no reinstall
    modules = sorted((tree / "grader").rglob("*.py"))

    def dev_help() -> None:
        done = subprocess.run(["bash", str(tree / "dev"), "help"], capture_output=True,
                              text=True, timeout=120,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert done.returncode == 2, done.stderr  # (the usage: after the compile step)

    dev_help()
    assert all(_compiled(m) for m in modules), [m.name for m in modules if not _compiled(m)]
    suite = tree / "grader" / "suites" / "test_tasks.py"
    cached = Path(importlib.util.cache_from_source(str(suite)))
    before = cached.stat().st_mtime_ns
    dev_help()  # nothing changed: nothing compiled again
    assert cached.stat().st_mtime_ns == before
    suite.write_text(suite.read_text() + "\n# an instructor's edit\n")
    os.utime(suite, (before / 1e9 + 5, before / 1e9 + 5))  # (newer than the stamp)
    dev_help()
    assert _compiled(suite)


def test_dev_usage_lists_every_command_and_format() -> None:
    done = run_dev(ROOT, "help")
    assert done.returncode == 2
    for command in ("./dev grade", "./dev gradebook csv|html", "./dev test"):
        assert command in done.stderr
    listed = re.search(r"--format ([\w|]+)", done.stderr)
    assert listed and set(listed.group(1).split("|")) == {"table", *FORMATS}


def test_readme_states_the_defaults_the_code_has() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"(`--jobs`, default {JOBS_PER_CORE} per core)" in readme
    assert f"default: {JOBS_PER_CORE} per core" in " ".join(_parser_help().split())


def _parser_help() -> str:
    return run_grader("grade", "--help").stdout


def test_the_docs_say_what_junit_times_are() -> None:
    report = Report("s", 1, 2, [ExerciseResult("tasks", "Tasks", 1, 2, "partial", [
        Outcome("test_a", 1, 1, "passed", "", False, seconds=0.25),
        Outcome("test_b", 0, 1, "failed", "no", True, seconds=1.5)])], "0", 2.0)
    xml = FORMATS["junit"](report)
    assert 'time="1.750"' in xml and 'time="0.250"' in xml and 'time="1.500"' in xml
    docs = " ".join((ROOT / "docs" / "report-formats.md").read_text().split())
    assert "the sum of its tests' times" in docs
    assert "the test's wall-clock seconds" in docs
