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
