"""aiograde in a Jupyter kernel: the IPython extension behind the nbgrader course.

``aiograde nbgrader COURSE_DIR`` writes notebooks that use two magics:

- ``%%aiograde SLUG`` on the first line of the answer cell makes the cell the module
  ``SLUG.py``. While a student works, the cell runs as that module (its functions land
  in the notebook, ready for ``await``); the test cells grade what it last ran.
- ``%aiograde SLUG TEST`` (one per test cell) grades the module with the hidden suites,
  in the sandbox, in a separate process, and shows the test's message; the cell's value
  is the test's score (nbgrader's partial credit). It never writes to stderr.

During ``nbgrader autograde`` (``NBGRADER_EXECUTION=autograde``) no student code runs in
the kernel at all: the course's ``nbgrader_config.py`` loads this extension when the
kernel starts, before any cell, and an input transformer then replaces every cell that
is not one of the course's own (the setup line, comments and ``%aiograde`` test lines)
with ``pass``, keeping the answer cell's text for the grader. So no cell can patch the
checks, forge a cell's value or write the score: the kernel runs only trusted code, and
the student's code runs only in the sandbox.

One grading per exercise runs in a child process that reports each test as it finishes
(``grader._streamgrade``), so each test cell waits for its own test only: well under
nbgrader's 30 s per cell, whatever the exercise's total.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# How long one test cell waits for its test, in real seconds: well under nbgrader's
# 30 s cell timeout. A test runs at most its exercise's time_limit (6 s by default)
# per scenario, so this is reached only by a test that keeps being stopped.
CELL_WAIT = 20.0
AUTOGRADE = "autograde"
_SETUP_LINE = "%load_ext grader.notebook"
_TEST_LINE = re.compile(r"%aiograde +[a-z_][a-z0-9_]* +[A-Za-z_][A-Za-z0-9_]*")
_ANSWER_LINE = re.compile(r"%%aiograde +([a-z_][a-z0-9_]*) *")


class NotebookSetupError(Exception):
    """The course is set up so that the grades could not be trusted (an instructor's fix)."""


def _is_course_cell(lines: list[str]) -> bool:
    """A cell of the course's own: only the setup line, comments and test lines."""
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#") and text != _SETUP_LINE \
                and not _TEST_LINE.fullmatch(text):
            return False
    return True


@dataclass
class _Result:
    score: int
    max_score: int
    status: str  # "passed" | "failed" | "error" (the grader's own fault)
    message: str


@dataclass
class _Grading:
    """One exercise graded in a child process, its tests reported as they finish."""

    slug: str
    source: str
    results: dict[str, _Result] = field(default_factory=dict)
    done: bool = False
    error: str = ""
    folder: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self, warm: _Warm) -> None:
        """Hand the module to a warm grading process (loaded, waiting for work)."""
        self.folder = tempfile.mkdtemp(prefix="aiograde-notebook-")
        Path(self.folder, f"{self.slug}.py").write_text(self.source, encoding="utf-8")
        self.process, self.log = warm.process, warm.log
        assert self.process.stdin is not None
        self.process.stdin.write(f"{self.folder}\t{self.slug}\n".encode())
        self.process.stdin.close()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        assert self.log is not None
        for raw in self.process.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            with self.changed:
                self._take(message)
                self.changed.notify_all()
        code = self.process.wait()
        self.log.seek(0)
        stderr = self.log.read().decode(errors="replace")
        self.log.close()
        with self.changed:
            if not self.done:
                self.error = self.error or (f"the grader stopped (exit {code}) before it finished: "
                                            f"{stderr.strip()[-800:]}")
                self.done = True
            self.changed.notify_all()
        _remove(self.folder)

    def _take(self, message: dict[str, Any]) -> None:
        if "test" in message:
            t = message["test"]
            points = int(t["points"])
            status = "passed" if t["passed"] else "error" if t.get("fault") else "failed"
            self.results[t["name"]] = _Result(points if t["passed"] else 0, points, status,
                                              str(t["message"]))
        elif "report" in message:  # the final word: the report's own scores
            for ex in message["report"]["exercises"]:
                for t in ex["tests"]:
                    self.results[t["name"]] = _Result(int(t["score"]), int(t["max_score"]),
                                                      str(t["status"]), str(t["message"]))
                if ex["problem"] and not ex["tests"]:
                    self.error = ex["problem"]
            self.done = True
        elif "error" in message:
            self.error, self.done = str(message["error"]), True

    def wait_for(self, test: str, seconds: float) -> _Result | None:
        deadline = time.monotonic() + seconds
        with self.changed:
            while test not in self.results and not self.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.results.get(test)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


class _Warm:
    """A grading process started ahead of time: the grader loaded, waiting for its work."""

    def __init__(self) -> None:
        # Its own session: the whole group is stopped with the kernel. Output is piped,
        # never inherited: ipykernel shows the kernel's fd 2 in the cell (nbgrader's zero).
        # Its stderr goes to a file, not a pipe nobody reads while the grading runs.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader._streamgrade"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _remove(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


class _Session:
    """The extension's state in one kernel."""

    def __init__(self, shell: Any, *, autograde: bool, at_start: bool) -> None:
        self.shell, self.autograde, self.at_start = shell, autograde, at_start
        self.answers: dict[str, str] = {}  # slug -> the module's source, as last run or seen
        # Autograde: a cell without the `%%aiograde` line is taken for the answer of the
        # exercise whose test cells come next (the first such cell since the last tests).
        self.unclaimed: str | None = None
        self.fallbacks: dict[str, str | None] = {}
        self.gradings: dict[str, _Grading] = {}
        self.warm: _Warm | None = None
        atexit.register(self.stop)

    # -- autograde: every cell that is not the course's own is kept out of the kernel

    def transform(self, lines: list[str]) -> list[str]:
        if _is_course_cell(lines):
            for line in lines:
                if _TEST_LINE.fullmatch(line.strip()):
                    self.fallbacks.setdefault(line.split()[1], self.unclaimed)
                    self.unclaimed = None
            return lines
        text = "".join(lines)
        first, _, body = text.partition("\n")
        answer = _ANSWER_LINE.fullmatch(first.strip())
        if answer:
            self.answers[answer.group(1)] = body
            self.unclaimed = None
        elif self.unclaimed is None:
            self.unclaimed = text
        return ["pass\n"]

    # -- the magics

    def answer_cell(self, line: str, cell: str) -> None:
        """``%%aiograde SLUG``: the cell is the module SLUG.py; run it as such."""
        slug = line.strip()
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", slug):
            print(f"aiograde: the first line must be `%%aiograde <exercise>`, got {line!r}")
            return
        self.answers[slug] = cell
        import types

        module = types.ModuleType(slug)
        module.__file__ = f"{slug}.py"
        sys.modules[slug] = module
        exec(compile(cell, f"{slug}.py", "exec"), module.__dict__)
        public = {k: v for k, v in vars(module).items() if not k.startswith("_")}
        self.shell.push(public)

    def test_cell(self, line: str) -> int:
        """``%aiograde SLUG TEST``: grade TEST; the value is its score."""
        words = shlex.split(line)
        if len(words) != 2:
            raise NotebookSetupError(f"`%aiograde {line}`: expected `%aiograde <exercise> <test>`")
        slug, test = words
        if self.autograde and not self.at_start:
            raise NotebookSetupError(
                "during autograde the kernel must load the aiograde extension when it starts, "
                "or student code could change the checks: add "
                "`c.Execute.extra_arguments = ['--ext=grader.notebook']` to the course's "
                "nbgrader_config.py (aiograde nbgrader writes it)")
        source = self.answers.get(slug)
        if source is None and self.autograde:
            source = self.fallbacks.get(slug)
        if source is None:
            print(f"{test}: not graded. Run the cell that starts with `%%aiograde {slug}` first "
                  "(keep that line: it makes the cell the module).")
            return 0
        grading = self._grading(slug, source)
        result = grading.wait_for(test, CELL_WAIT)
        if result is None and not grading.done:
            print(f"{test}: still running after {CELL_WAIT:g} s of real time, so it counts as "
                  "failed (nbgrader stops a cell after 30 s). Is something waiting forever?")
            return 0
        if result is None:
            if grading.error:
                print(f"{test}: not graded: {grading.error}")
                return 0
            raise NotebookSetupError(f"the grader has no test {test!r} for {slug}: regenerate "
                                     "the course with this version of aiograde")
        if result.status == "error":  # loud: nbgrader shows the error to the instructor
            raise NotebookSetupError(f"{test}: a fault of the grader, not of the student's "
                                     f"code: {result.message}")
        mark = "passed" if result.status == "passed" else "FAILED"
        print(f"{test}: {mark} ({result.score}/{result.max_score})")
        if result.message:
            print(result.message)
        return result.score

    def _grading(self, slug: str, source: str) -> _Grading:
        digest = hashlib.sha256(source.encode()).hexdigest()
        key = f"{slug}:{digest}"
        grading = self.gradings.get(key)
        if grading is None:
            for old in self.gradings.values():
                if old.slug == slug:
                    old.stop()
            grading = _Grading(slug, source)
            grading.start(self.warm or _Warm())
            self.warm = _Warm()  # ready for the next exercise (or the next version)
            self.gradings = {k: g for k, g in self.gradings.items() if g.slug != slug}
            self.gradings[key] = grading
        return grading

    def stop(self) -> None:
        for grading in self.gradings.values():
            grading.stop()
        if self.warm is not None:
            self.warm.stop()


_SESSION: _Session | None = None


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext grader.notebook`` (the setup cell), or ``--ext=grader.notebook`` (the
    kernel's start, as the course's nbgrader_config.py asks during autograde)."""
    global _SESSION
    if _SESSION is not None:
        return
    # Loaded by a cell, the cell itself is already in the history; at the kernel's start
    # nothing is.
    at_start = len(shell.history_manager.input_hist_raw) <= 1
    autograde = os.environ.get("NBGRADER_EXECUTION") == AUTOGRADE
    _SESSION = session = _Session(shell, autograde=autograde, at_start=at_start)
    session.warm = _Warm()  # loads the grader while the first cells run
    if autograde:
        shell.input_transformers_cleanup.insert(0, session.transform)
    shell.register_magic_function(session.answer_cell, "cell", "aiograde")
    shell.register_magic_function(session.test_cell, "line", "aiograde")
