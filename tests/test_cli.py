"""The grading command as users run it: reports, formats, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, run_grader


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
    assert report["score"] == 10 and report["max_score"] == 150


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
