"""The project's own code is clean: ruff over the tree, mypy (strict) over the grader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_ruff_finds_nothing() -> None:
    done = run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_finds_nothing() -> None:
    # Configured in pyproject.toml: strict on grader/, suites checked for typed results.
    done = run("mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_misspelt_result_field_fails_mypy(tmp_path: Path) -> None:
    # What a suite reads from a scenario's typed result is checked: a field renamed in the
    # scenario, or misspelt in the suite, fails here (in CI), never in a student's grade.
    suite = (
        "from grader._plugin import Student\n"
        "from grader.scenarios import gathering as sc\n"
        "def test_concurrent(student: Student) -> None:\n"
        "    obs = student.run(sc.squares_concurrently, xs=[1, 2], delay=1.0)\n"
        "    print(obs.value.most_at_once, obs.value.most_at_onse)\n")
    (tmp_path / "test_misspelt.py").write_text(suite)
    done = run("mypy", "--no-incremental", "--cache-dir", "/dev/null", str(tmp_path / "test_misspelt.py"))
    assert done.returncode == 1
    assert '"Squares" has no attribute "most_at_onse"' in done.stdout, done.stdout
    assert "most_at_once," not in done.stdout  # the right name passes
