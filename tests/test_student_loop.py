"""The students' loop, as a new student meets it: a fresh release, then ``list``, ``check``,
``hint`` and ``watch`` in a real (pseudo-)terminal, up to the first passing exercise;
plus the progress file and hint choice on made-up reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_grader

from grader import _report, _student
from grader._report import ExerciseResult, Report

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """A command running in a pseudo-terminal, its screen output collected as text."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        import fcntl  # POSIX only, like the whole module
        import pty
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 100, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "50"}
        self.process = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True)
        os.close(slave)
        self.chunks: list[bytes] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return ANSI.sub("", b"".join(self.chunks).decode("utf-8", "replace"))

    def wait_for(self, pattern: str, timeout: float = 120, after: int = 0) -> int:
        """Wait until ``pattern`` shows after position ``after``; its end position."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text[after:])
            if found:
                return after + found.end()
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} never showed; the screen:\n{self.text[-3000:]}")

    def finish(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout)
        self.reader.join(5)
        os.close(self.master)
        return code


def _run(release: Path, *args: str) -> tuple[int, str]:
    term = Terminal([str(release / "dev"), *args], release)
    return term.finish(), term.text


def _folded(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("student") / "course"
    done = run_grader("release", out)
    assert done.returncode == 0, done.stderr
    (out / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    os.utime(out / "pyproject.toml", (0, 0))  # ./dev: the environment is up to date
    return out


@pytest.mark.timeout(600)  # eight gradings, one after another, on a shared machine
def test_a_new_student_reaches_the_first_passing_exercise(release: Path) -> None:
    code, screen = _run(release, "list")
    assert code == 0, screen
    assert re.search(r"→ │\s+1 │ coroutines\s+│\s+5 │ not started", screen), screen
    assert "Next: coroutines, in exercises/coroutines.py" in screen

    code, screen = _run(release, "check")
    screen = _folded(screen)
    assert code == 1
    assert "coroutines · Async functions and await" in screen
    assert "not implemented" in screen and "Not started yet." in screen
    assert "… 2 more failing" in screen and "Traceback" not in screen

    code, screen = _run(release, "hint")
    assert code == 0 and "Hint 1 of 2 for coroutines" in screen
    code, screen = _run(release, "hint")
    assert "Hint 2 of 2 for coroutines" in screen and "asyncio.run" in screen

    watch = Terminal([str(release / "dev"), "watch"], release)
    seen = watch.wait_for(r"Watching exercises/: save coroutines\.py")
    # Half done first: still failing, the watch checks again and stays on coroutines.
    stub = (release / "exercises" / "coroutines.py").read_text()
    solution = (ROOT / "solutions" / "coroutines.py").read_text()
    half = stub.replace('    raise NotImplementedError\n', '    return 2 * x\n', 1)
    assert half != stub
    (release / "exercises" / "coroutines.py").write_text(half)
    seen = watch.wait_for(r"Watching exercises/: save coroutines\.py", after=seen)
    (release / "exercises" / "coroutines.py").write_text(solution)
    seen = watch.wait_for(r"✓ coroutines passes: moving on", after=seen)
    watch.wait_for(r"gathering · Running coroutines concurrently[\s\S]*Watching exercises/: "
                   r"save gathering\.py", after=seen)
    os.killpg(watch.process.pid, 2)  # Ctrl-C
    assert watch.finish(30) == 0, watch.text[-2000:]
    assert "Traceback" not in watch.text

    code, screen = _run(release, "list")
    assert re.search(r"│\s+1 │ coroutines\s+│\s+5 │ done", screen), screen
    assert re.search(r"→ │\s+2 │ gathering", screen), screen
    progress = json.loads((release / ".aiograde" / "progress.json").read_text())
    assert progress["exercises"]["coroutines"]["state"] == "done"


def test_check_points_at_the_students_line(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "samples" / "gathering" / "wrong_time_sleep.py",
                tmp_path / "gathering.py")
    done = run_grader("check", "gathering", "--path", tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "✗ slow square returns the square" in out
    line = next(n for n, text in enumerate((tmp_path / "gathering.py").read_text().splitlines(), 1)
                if text.strip() == "time.sleep(delay)")
    assert re.search(rf"at .*gathering\.py:{line}\n\s+{line} │\s+time\.sleep\(delay\)", out), out
    assert "aiograde hint" in out
    every = run_grader("check", "gathering", "--path", tmp_path, "--all").stdout
    assert every.count("✗") > out.count("✗") - 1 and "more failing" not in every


# -- progress and hints, on made-up reports -------------------------------------------------

def _result(slug: str, *tests: tuple[str, str, list[str]]) -> ExerciseResult:
    results = []
    for name, message, hints in tests:
        result = _report.TestResult(name, 0 if message else 1, 1, "failed" if message else "passed",
                            message, False)
        result.hints = hints  # type: ignore[attr-defined]  # the lead's field, landing soon
        results.append(result)
    return ExerciseResult(slug, slug.title(), 0, 5, "failed", results)


@pytest.fixture
def checkout(tmp_path: Path) -> _student.Checkout:
    (tmp_path / "exercises").mkdir()
    for slug in ("coroutines", "gathering"):
        shutil.copy(ROOT / "exercises" / f"{slug}.py", tmp_path / "exercises")
    return _student.find_checkout(tmp_path)


def test_states_and_the_current_exercise(checkout: _student.Checkout) -> None:
    progress = _student.Progress(checkout)
    progress.record(_result("coroutines", ("test_a", "", []), ("test_b", "", [])))
    progress.record(_result("gathering", ("test_c", "x() raised NotImplementedError: this "
                                          "function is not implemented yet.", [])))
    assert progress.state("coroutines") == _student.DONE
    assert progress.state("gathering") == _student.NOT_STARTED
    assert progress.current() == "gathering"
    progress.save()
    again = _student.Progress(checkout)
    assert again.current() == "gathering"
    (checkout.exercises / "coroutines.py").write_text("# changed\n")
    assert again.current() == "coroutines", "a changed file is checked again"


def test_hints_follow_what_fails_and_go_on_progressively(checkout: _student.Checkout) -> None:
    progress = _student.Progress(checkout)
    progress.record(_result("coroutines", ("test_a", "", []),
                            ("test_b", "wrong", ["the test's own hint"])))
    progress.save()
    from rich.console import Console

    seen = []
    for _ in range(4):
        console = Console(record=True, width=200)
        _student.hint(checkout, "coroutines", console)
        seen.append(console.export_text())
    assert "Hint 1 of 3" in seen[0] and "the test's own hint" in seen[0]
    assert "(for: b)" in seen[0]
    manifest_hints = checkout.exercise("coroutines").hints
    assert "Hint 2 of 3" in seen[1] and manifest_hints[0] in seen[1]
    assert "Hint 3 of 3" in seen[2]
    assert "That was every hint" in seen[3] and "1. the test's own hint" in seen[3]


def test_a_damaged_progress_file_is_started_afresh(checkout: _student.Checkout) -> None:
    checkout.state_path.parent.mkdir()
    checkout.state_path.write_text("{not json")
    assert _student.Progress(checkout).current() == "coroutines"


def test_no_exercises_is_a_clear_error(tmp_path: Path) -> None:
    done = run_grader("list", "--path", tmp_path)
    assert done.returncode == 2 and "no exercises found" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_timeline_shows_in_the_table_and_the_markdown() -> None:
    from rich.console import Console

    from grader._formats import render_markdown
    from grader._report import render_table

    failing = _report.TestResult("test_squares_run_concurrently", 0, 2, "failed", "too slow", False)
    failing.timeline = [  # type: ignore[attr-defined]
        {"kind": "call", "name": f"slow_square({i})", "start": float(i), "end": i + 1.0,
         "where": None} for i in range(3)]
    report = Report("sub", 0, 10, [ExerciseResult("gathering", "Gathering", 0, 10, "failed",
                                                  [failing])], "0", 0.1)
    console = Console(record=True, width=120)
    render_table(report, console)
    text = console.export_text()
    assert "slow_square(2)" in text and "at most 1 running at once" in text
    markdown = render_markdown(report)
    assert "```text" in markdown and "slow_square(0)  ████" in markdown


def test_check_all_writes_the_reports_ci_needs(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    shutil.copy(ROOT / "solutions" / "coroutines.py", tmp_path / "exercises")
    markdown = tmp_path / "report.md"
    done = run_grader("check", "--all", "--path", tmp_path, "--format", "json",
                      "--write", f"markdown={markdown}")
    assert done.returncode == 1, done.stderr  # the stubs fail
    report = json.loads(done.stdout)
    assert [e["slug"] for e in report["exercises"]] == [e.slug for e in _student.find_checkout(
        tmp_path).exercise_list]
    assert all(not t["hidden"] for e in report["exercises"] for t in e["tests"])
    assert report["exercises"][0]["status"] == "passed"
    assert "gathering" in markdown.read_text()
