"""Hostile submissions (tests/hostile/) score nothing they did not earn, never hang or
crash the grader, and never cost points in another exercise."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT, grade_json

HOSTILE = Path(__file__).parent / "hostile"


def graded(case: str, tmp_path: Path, *, beside: tuple[str, ...] = ("coroutines",)) -> dict:
    """Grade a hostile case with good modules of other exercises beside it."""
    folder = tmp_path / case
    shutil.copytree(HOSTILE / case, folder, symlinks=True)
    for slug in beside:
        shutil.copy(ROOT / "solutions" / f"{slug}.py", folder / f"{slug}.py")
    slugs = sorted({p.stem for p in (HOSTILE / case).glob("*.py") if p.stem != "conftest"} | set(beside))
    report = grade_json(folder, *slugs)
    return {e["slug"]: e for e in report["exercises"]}


def assert_untouched_neighbours(exercises: dict, beside: tuple[str, ...] = ("coroutines",)) -> None:
    for slug in beside:
        assert exercises[slug]["status"] == "passed", exercises[slug]


@pytest.mark.parametrize(("case", "says"), [
    ("exit_at_import", "could not be imported: The process running gathering.py ended"),
    ("sysexit_at_import", "could not be imported: SystemExit"),
    ("patches_pytest", "'_pytest.python' is part of the grader and cannot be imported"),
    ("imports_solutions", "'solutions' is part of the grader and cannot be imported"),
])
def test_import_time_attacks_score_nothing(case: str, says: str, tmp_path: Path) -> None:
    exercises = graded(case, tmp_path)
    gathering = exercises["gathering"]
    assert (gathering["score"], gathering["status"]) == (0, "error")
    assert all(says in t["message"] for t in gathering["tests"]), gathering["tests"][0]["message"]
    assert_untouched_neighbours(exercises)


def test_conftest_and_pytest_ini_in_the_submission_are_never_read(tmp_path: Path) -> None:
    exercises = graded("conftest_forces_pass", tmp_path)
    assert exercises["gathering"]["score"] == 0
    assert all("not implemented" in t["message"] for t in exercises["gathering"]["tests"])
    assert_untouched_neighbours(exercises)


def test_forged_answers_and_result_files_are_ignored(tmp_path: Path) -> None:
    exercises = graded("forged_output", tmp_path)
    assert exercises["gathering"]["score"] == 0
    assert not (tmp_path / "forged_output" / "results.json").exists()
    assert_untouched_neighbours(exercises)


def test_killing_the_fork_server_costs_only_its_own_tests(tmp_path: Path) -> None:
    exercises = graded("kills_fork_server", tmp_path, beside=("coroutines", "tasks"))
    assert exercises["gathering"]["score"] == 0
    assert_untouched_neighbours(exercises, ("coroutines", "tasks"))


def test_a_hanging_import_is_stopped_once_and_costs_one_exercise(tmp_path: Path) -> None:
    started = time.monotonic()
    exercises = graded("hangs_at_import", tmp_path)
    took = time.monotonic() - started
    gathering = exercises["gathering"]
    assert gathering["score"] == 0
    assert all("did not finish within" in t["message"] for t in gathering["tests"])
    assert_untouched_neighbours(exercises)
    assert took < 60, f"one hanging import should cost one time limit, not one per test ({took:.0f} s)"


def test_objects_that_lie_about_equality_earn_nothing(tmp_path: Path) -> None:
    exercises = graded("lying_equality", tmp_path)
    assert exercises["gathering"]["score"] == 0, exercises["gathering"]["tests"]


def test_faking_the_clocks_does_not_make_sequential_code_concurrent(tmp_path: Path) -> None:
    gathering = graded("fake_clock", tmp_path)["gathering"]
    failed = {t["name"]: t["message"] for t in gathering["tests"] if t["status"] == "failed"}
    assert "test_squares_run_concurrently" in failed
    assert "awaited one after another" in failed["test_squares_run_concurrently"]
