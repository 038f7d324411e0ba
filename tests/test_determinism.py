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


def test_a_racy_wrong_order_loses_the_same_points_every_time(tmp_path: Path) -> None:
    # Results in the order the calls finish: where the calls all last as long, that order
    # is the threads' chance, so only the tests whose calls' lengths decide it judge it.
    shutil.copy(SAMPLES / "executors" / "wrong_completion_order.py", tmp_path / "executors.py")
    verdicts = []
    for _ in range(4):
        exercise = grade_json(tmp_path, "executors")["exercises"][0]
        verdicts.append({t["name"]: (t["score"], t["status"]) for t in exercise["tests"]})
    failed = sorted(name for name, (_, status) in verdicts[0].items() if status != "passed")
    assert failed == ["test_checksums_keeps_the_order_of_the_chunks",
                      "test_checksums_keeps_the_workers_busy"]
    assert all(again == verdicts[0] for again in verdicts[1:])
