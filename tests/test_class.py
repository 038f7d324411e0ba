"""A whole class at once: parallel, isolated, resumable, every grading in the gradebook."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, SAMPLES, run_grader

from grader import _manifest

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


def graded_so_far(book: Path) -> int:
    """Rows in a gradebook that a running class grading writes: none until its tables exist
    (the file appears a moment before them)."""
    try:
        return len(rows(book)) if book.exists() else 0
    except sqlite3.OperationalError:
        return 0


def test_a_class_is_graded_isolated_and_summarised(tmp_path: Path) -> None:
    folder, book = make_class(tmp_path / "class"), tmp_path / "book.sqlite3"
    done = run_grader("grade", folder, "--class", "--jobs", "2", "--gradebook", book, *ONLY)
    assert done.returncode == 0, done.stderr
    # The summary is what --format table (the default) prints.
    assert "graded 4, unchanged since the last run 0, could not grade 2" in done.stdout
    assert "flagged for review: dee" in done.stdout
    assert "could not grade empty: no exercise module found" in done.stdout
    assert "could not grade linked: a symbolic link" in done.stdout
    scores = {student: score for student, score, _, _ in rows(book)}
    assert scores == {"ada": 15, "bob": scores["bob"], "cyd": 5, "dee": scores["dee"]}
    assert 0 < scores["bob"] < 15  # a wrong answer beside a stub: partial, never full
    assert scores["cyd"] == 5  # its hostile gathering.py costs nothing in coroutines
    # The students that could not be graded are in the CSV and the HTML report, with why.
    table = run_grader("gradebook", "csv", "--gradebook", book)
    by_student = {row["student"]: row for row in csv.DictReader(io.StringIO(table.stdout))}
    assert set(by_student) == {"ada", "bob", "cyd", "dee", "empty", "linked"}
    assert by_student["empty"]["not_graded"].startswith("no exercise module found")
    assert by_student["linked"]["not_graded"].startswith("a symbolic link")
    assert by_student["ada"]["graded_exercises"] == "coroutines gathering"
    page = run_grader("gradebook", "html", "--gradebook", book).stdout
    assert 'id="not-graded"' in page and page.count('class="not-graded-row"') == 2


def test_unchanged_submissions_are_not_regraded_and_changed_ones_are(tmp_path: Path) -> None:
    folder, book = make_class(tmp_path / "class"), tmp_path / "book.sqlite3"
    first = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert first.returncode == 0, first.stderr
    again = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert "graded 0, unchanged since the last run 4" in again.stdout
    shutil.copy(ROOT / "solutions/gathering.py", folder / "bob" / "gathering.py")
    changed = run_grader("grade", folder, "--class", "--gradebook", book, *ONLY)
    assert "graded 1, unchanged since the last run 3" in changed.stdout
    assert len(rows(book)) == 5


def test_an_interrupted_run_finishes_the_rest_when_run_again(tmp_path: Path) -> None:
    folder, book = tmp_path / "class", tmp_path / "book.sqlite3"
    for i in range(8):
        (folder / f"s{i}").mkdir(parents=True)
        shutil.copy(ROOT / "solutions/gathering.py", folder / f"s{i}" / "gathering.py")
        with (folder / f"s{i}" / "gathering.py").open("a") as module:
            module.write(f"\n# student {i}\n")  # eight different submissions
    # The fifth student's import hangs until its time limit: however fast the others are
    # graded, the interrupt below lands while the run is still going.
    (folder / "s4" / "gathering.py").write_text("import time\ntime.sleep(3600)\n")
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--class", "--jobs", "1",
               "--gradebook", str(book), "--only", "gathering"]
    private = tmp_path / "grader-tmp"  # where the graders' temporary folders go
    private.mkdir()
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "TMPDIR": str(private)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and graded_so_far(book) < 2:
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
    assert f"graded {8 - graded_before}, unchanged since the last run {graded_before}" in rest.stdout
    assert len(rows(book)) == 8
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _is_grader_child(p, folder)]


def _is_grader_child(pid: str, folder: Path) -> bool:
    try:
        return str(folder) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def run_here(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command run from ``folder`` (where a default gradebook would land)."""
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def test_an_only_grading_never_stands_in_for_a_whole_one(tmp_path: Path) -> None:
    folder, book = tmp_path / "class", tmp_path / "book.sqlite3"
    for name in ("ada", "bob"):  # one module each: a whole grading is quick (the rest missing)
        (folder / name).mkdir(parents=True)
        shutil.copy(ROOT / "solutions/coroutines.py", folder / name / "coroutines.py")
    only = run_grader("grade", folder, "--class", "--gradebook", book, "--only", "coroutines")
    assert "graded 2, unchanged since the last run 0" in only.stdout, only.stderr
    whole = run_grader("grade", folder, "--class", "--gradebook", book)
    assert "graded 2, unchanged since the last run 0" in whole.stdout, whole.stderr
    again = run_grader("grade", folder, "--class", "--gradebook", book, "--only", "coroutines")
    assert "graded 0, unchanged since the last run 2" in again.stdout, again.stderr
    course = sum(e.points for e in _manifest.load())  # a whole grading's top score
    assert [(student, score, top) for student, score, top, _ in rows(book)] == [
        ("ada", 5, 5), ("ada", 5, course), ("bob", 5, 5), ("bob", 5, course)]
    table = run_grader("gradebook", "csv", "--gradebook", book).stdout
    assert [(r["student"], r["max_score"], r["graded_exercises"])
            for r in csv.DictReader(io.StringIO(table))] == [("ada", str(course), "all"),
                                                            ("bob", str(course), "all")]


def test_class_flags_format_write_student_and_no_gradebook(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "class")
    here = tmp_path / "here"
    here.mkdir()
    done = run_here(here, "grade", folder, "--class", "--only", "coroutines", "--student", "ada",
                    "--no-gradebook", "--format", "json", "--write", "markdown=md",
                    "--write", "junit=xml")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result["students"]) == ["ada"]  # --student: just that student
    assert result["students"]["ada"]["score"] == 5
    assert result["summary"]["graded"] == ["ada"] and result["gradebook"] is None
    assert (here / "md" / "ada.md").read_text().startswith("## aiograde: 5/5")
    assert (here / "xml" / "ada.xml").read_text().startswith("<?xml")
    assert sorted(p.name for p in here.rglob("*")) == ["ada.md", "ada.xml", "md", "xml"]


def test_class_mode_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "class")
    for args, says in [
        ([folder, "--format", "markdown"], "with --class, --format takes table or json"),
        ([folder / "ada", "--format", "json"], "is one student's submission (it holds "
         "coroutines.py, gathering.py), not a class: drop --class"),
        ([folder, "--student", "zed"], "no student 'zed' in"),
        ([folder, "--only", "nonsense"], "unknown exercise(s) ['nonsense'] in --only"),
        ([folder, "--write", f"json={folder / 'ada' / 'coroutines.py'}"], "it is a file"),
        ([tmp_path / "nowhere"], "is not a folder of submissions"),
    ]:
        done = run_here(tmp_path, "grade", *args, "--class")
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)
        assert done.stdout == "" and "Traceback" not in done.stderr
    assert not (tmp_path / "aiograde.sqlite3").exists()  # refused before anything was opened


def test_a_student_folder_named_like_an_option_is_graded_as_a_folder(tmp_path: Path) -> None:
    (tmp_path / "--help").mkdir()
    shutil.copy(ROOT / "solutions/coroutines.py", tmp_path / "--help" / "coroutines.py")
    done = run_here(tmp_path, "grade", ".", "--class", "--only", "coroutines", "--no-gradebook",
                    "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["students"]["--help"]["score"] == 5


def test_the_summary_never_sends_a_name_s_control_characters(tmp_path: Path) -> None:
    (tmp_path / "eve\x1b[2J").mkdir()  # an escape sequence that would clear the terminal
    done = run_here(tmp_path, "grade", ".", "--class", "--no-gradebook")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert "could not grade eve\\x1b[2J: no exercise module found" in done.stdout
