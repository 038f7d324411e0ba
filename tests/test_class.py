"""A whole class at once: parallel, isolated, resumable, every grading in the gradebook."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, SAMPLES, run_grader

HOSTILE = Path(__file__).parent / "hostile"
ONLY = ["--only", "coroutines", "--only", "gathering"]


def make_class(folder: Path) -> Path:
    students = {
        "ada": {"coroutines": ROOT / "solutions/coroutines.py",
                "gathering": ROOT / "solutions/gathering.py"},
        "bob": {"coroutines": ROOT / "exercises/coroutines.py",
                "gathering": SAMPLES / "gathering/wrong_sequential.py"},
        "cyd": {"coroutines": ROOT / "solutions/coroutines.py",
                "gathering": HOSTILE / "exit_at_import/gathering.py"},
        "dee": {"gathering": HOSTILE / "fake_clock/gathering.py"},
    }
    for name, modules in students.items():
        (folder / name).mkdir(parents=True)
        for slug, source in modules.items():
            shutil.copy(source, folder / name / f"{slug}.py")
    (folder / "empty").mkdir()
    (folder / "linked").symlink_to(folder / "ada")
    return folder


def rows(book: Path) -> list[tuple]:
    with sqlite3.connect(book) as db:
        return db.execute("SELECT student, score, max_score, flagged FROM gradings "
                          "ORDER BY student, id").fetchall()


def test_a_class_is_graded_isolated_and_summarised(tmp_path: Path) -> None:
    folder, book = make_class(tmp_path / "class"), tmp_path / "book.sqlite3"
    done = run_grader("grade", folder, "--class", "--jobs", "2", "--gradebook", book, *ONLY)
    assert done.returncode == 0, done.stderr
    assert "graded 4, unchanged since the last run 0, could not grade 2" in done.stderr
    assert "flagged for review: dee" in done.stderr
    assert "could not grade empty: no exercise module found" in done.stderr
    assert "could not grade linked: a symbolic link" in done.stderr
    scores = {student: score for student, score, _, _ in rows(book)}
    assert scores == {"ada": 15, "bob": scores["bob"], "cyd": 5, "dee": scores["dee"]}
    assert 0 < scores["bob"] < 15  # a wrong answer beside a stub: partial, never full
    assert scores["cyd"] == 5  # its hostile gathering.py costs nothing in coroutines


def test_unchanged_submissions_are_not_regraded_and_changed_ones_are(tmp_path: Path) -> None:
    folder, book = make_class(tmp_path / "class"), tmp_path / "book.sqlite3"
    first = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert first.returncode == 0, first.stderr
    again = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert "graded 0, unchanged since the last run 4" in again.stderr
    shutil.copy(ROOT / "solutions/gathering.py", folder / "bob" / "gathering.py")
    changed = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert "graded 1, unchanged since the last run 3" in changed.stderr
    assert len(rows(book)) == 5


def test_an_interrupted_run_finishes_the_rest_when_run_again(tmp_path: Path) -> None:
    folder, book = tmp_path / "class", tmp_path / "book.sqlite3"
    for i in range(8):
        (folder / f"s{i}").mkdir(parents=True)
        shutil.copy(ROOT / "solutions/gathering.py", folder / f"s{i}" / "gathering.py")
        with (folder / f"s{i}" / "gathering.py").open("a") as module:
            module.write(f"\n# student {i}\n")  # eight different submissions
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--class", "--jobs", "1",
               "--gradebook", str(book), "--only", "gathering"]
    private = tmp_path / "grader-tmp"  # where the graders' temporary folders go
    private.mkdir()
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "TMPDIR": str(private)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not book.exists() or len(rows(book)) < 2):
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted" in err
    assert list(private.iterdir()) == [], "an interrupted grading left its temporary folder"
    graded_before = len(rows(book))
    assert 2 <= graded_before < 8
    rest = run_grader("grade", folder, "--class", "--gradebook", book, "--only", "gathering")
    assert rest.returncode == 0, rest.stderr
    assert f"graded {8 - graded_before}, unchanged since the last run {graded_before}" in rest.stderr
    assert len(rows(book)) == 8
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _is_grader_child(p, folder)]


def _is_grader_child(pid: str, folder: Path) -> bool:
    try:
        return str(folder) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
