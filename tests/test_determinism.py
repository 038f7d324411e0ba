"""The same submission graded five times in a row beside three busy processes gives the
same report every time (on a 2-core machine, that is more work than cores)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SAMPLES, grade_json

from grader._manifest import load


def mixed_submission(folder: Path) -> Path:
    """Half reference solutions, half classic mistakes (real time and virtual time alike)."""
    for number, exercise in enumerate(load()):
        wrong = sorted((SAMPLES / exercise.slug).glob("wrong_*.py"))
        source = wrong[0] if number % 2 and wrong else ROOT / "solutions" / f"{exercise.slug}.py"
        shutil.copy(source, folder / f"{exercise.slug}.py")
    return folder


def without_timings(report: dict) -> dict:
    report = dict(report)
    report.pop("duration")
    report.pop("submission")
    for exercise in report["exercises"]:
        for test in exercise["tests"]:
            test.pop("seconds")
            # A real clock's timeline carries the run's own times, like its duration.
            test["timeline"] = bool(test["timeline"])
    return report


def test_five_gradings_beside_three_busy_processes_are_identical(tmp_path: Path) -> None:
    folder = mixed_submission(tmp_path)
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    try:
        reports = [without_timings(grade_json(folder)) for _ in range(5)]
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    first = reports[0]
    assert 0 < first["score"] < first["max_score"]
    for again in reports[1:]:
        assert again == first
