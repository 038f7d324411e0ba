"""Grade a whole class: one sub-folder per student, in parallel, resumable.

Each job is a warm grader process (``grader._gradeserver``) that pays Python's, pytest's
and the fork server's start-up once and forks a fresh grading process per submission, so
one submission can never disturb another's grading, and the parent only reads back a JSON
report, the very one ``aiograde grade`` gives for that submission alone.

Every grading lands in the gradebook; a submission whose content and grader version are
already there is not graded again, so an interrupted run picks up where it stopped. A
grading restricted with ``--only`` is recorded as such, so it never stands in for a whole
grading. A student that could not be graded is recorded with the reason.
"""

from __future__ import annotations

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from . import __version__, _manifest
from ._errors import AiogradeError, SubmissionError
from ._gradebook import Gradebook, content_hash
from ._gradeserver import Order, Reply
from ._options import JOBS_PER_CORE, PARALLEL_PER_SUBMISSION
from ._report import Report

# One submission's whole grading, all exercises; far above any honest submission's.
PER_SUBMISSION_SECONDS = 900


def default_jobs() -> int:
    return JOBS_PER_CORE * (os.cpu_count() or 1)


@dataclass
class ClassSummary:
    graded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # student -> why it could not be graded
    scores: dict[str, tuple[int, int]] = field(default_factory=dict)
    flagged: list[str] = field(default_factory=list)
    interrupted: bool = False
    reports: dict[str, Report] = field(default_factory=dict)  # graded and unchanged students


def students_in(folder: Path, slugs: list[str]) -> tuple[list[Path], dict[str, str]]:
    """The student folders, by name; links and stray files are refused, with why."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder of submissions (one sub-folder "
                              "per student)")
    own = [f"{s}.py" for s in slugs if (folder / f"{s}.py").exists()]
    if own or (folder / "exercises").is_dir():
        what = ", ".join(own[:3]) if own else "an exercises/ folder"
        raise SubmissionError(f"{folder} is one student's submission (it holds {what}), not a "
                              "class: drop --class to grade it")
    students, refused = [], {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            refused[entry.name] = "a symbolic link, not a folder; the grader refuses links"
        elif entry.is_dir():
            students.append(entry)
    return students, refused


class _Grader:
    """One warm grader process (``grader._gradeserver``): grades students one at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grader._gradeserver"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
        self._buffer = b""

    def grade(self, order: Order, timeout: float) -> Reply | None:
        """The reply, or None when the process died or ran out of time (then it is gone)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(msgspec.json.encode(order) + b"\n")
            self.process.stdin.flush()
        except OSError:
            return None
        deadline = time.monotonic() + timeout
        answers = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([answers], [], [], max(0.0, remaining))
            if not ready:
                if remaining <= 0:
                    return None
                continue
            chunk = os.read(answers, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return msgspec.json.decode(line, type=Reply)
        except msgspec.DecodeError:
            return None

    def stop(self, wait: float = 10) -> None:
        """Ask it to finish (a grading under way unwinds first), then make sure it has."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Out of time or broken: it and the grading it forked, at once."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait()

    def close(self) -> None:
        """No more students: it ends by itself once its input closes."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.stop()


class _Graders:
    """Up to ``jobs`` warm grader processes, started as they are first needed, shared by
    the pool's threads (each takes one for one student and gives it back)."""

    def __init__(self) -> None:
        self.idle: queue.SimpleQueue[_Grader] = queue.SimpleQueue()
        self.all: list[_Grader] = []
        self.lock = threading.Lock()
        self.stopping = False

    def take(self) -> _Grader:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            with self.lock:
                if self.stopping:
                    raise KeyboardInterrupt from None
                grader = _Grader()
                self.all.append(grader)
                return grader

    def give_back(self, grader: _Grader) -> None:
        self.idle.put(grader)

    def drop(self, grader: _Grader) -> None:
        grader.kill()
        with self.lock:
            if grader in self.all:
                self.all.remove(grader)

    def stop_all(self) -> None:
        """Interrupted: every grading unwinds (sandboxes closed, temporary folders removed)."""
        with self.lock:
            self.stopping = True
            graders = list(self.all)
        for grader in graders:
            if grader.process.poll() is None:
                grader.process.terminate()
        for grader in graders:
            grader.stop()

    def close_all(self) -> None:
        with self.lock:
            graders, self.all = list(self.all), []
        for grader in graders:
            grader.close()


def _grade_one(student: Path, only: list[str] | None, tamper: str, parallel: int,
               graders: _Graders) -> Report | str:
    """The report, or why there is none."""
    order = Order(student=str(student), only=only, tamper=tamper,
                  hide=[str(student.parent.resolve())], parallel=parallel)
    grader = graders.take()
    reply = grader.grade(order, PER_SUBMISSION_SECONDS)
    if reply is None:
        timed_out = grader.process.poll() is None
        graders.drop(grader)
        if graders.stopping:
            return "interrupted"
        if timed_out:
            return f"grading took longer than {PER_SUBMISSION_SECONDS} s and was stopped"
        return "the grader process died"
    graders.give_back(grader)
    if reply.report is None:
        return reply.error or "the grader gave no report"
    try:
        return Report.from_dict(json.loads(reply.report))
    except (AiogradeError, ValueError, TypeError, KeyError) as exc:
        return f"the grader's report could not be read ({exc})"


def _course_slugs(only: list[str] | None) -> list[str]:
    """The exercises a grading covers: ``only``'s (checked against the manifest), or all."""
    course = [e.slug for e in _manifest.load()]
    if only is None:
        return course
    unknown = sorted(set(only) - set(course))
    if unknown:
        raise SubmissionError(f"unknown exercise(s) {unknown} in --only; known: "
                              f"{', '.join(course)}")
    return [slug for slug in course if slug in only]


def plan_class(folder: Path, only: list[str] | None = None, student: str | None = None,
               ) -> tuple[list[str], list[Path], dict[str, str]]:
    """The exercises to grade, the student folders to grade, and the entries refused (with
    why); bad input (no class there, an unknown exercise or student) raises SubmissionError.
    Cheap, so the command checks it before it opens anything."""
    slugs = _course_slugs(only)
    students, refused = students_in(folder, slugs)
    names = sorted([s.name for s in students] + list(refused))
    if not names:
        raise SubmissionError(f"{folder} has no student sub-folders: --class grades a folder "
                              "with one sub-folder per student")
    if student is not None:
        if student not in names:
            raise SubmissionError(f"no student {student!r} in {folder}: --student takes the name "
                                  f"of one of its sub-folders ({', '.join(names[:5])}"
                                  f"{', ...' if len(names) > 5 else ''})")
        students = [s for s in students if s.name == student]
        refused = {name: why for name, why in refused.items() if name == student}
    return slugs, students, refused


def grade_class(folder: Path, book: Gradebook, *, jobs: int | None = None, force: bool = False,
                only: list[str] | None = None, tamper: str = "tampering", student: str | None = None,
                parallel: int = PARALLEL_PER_SUBMISSION, progress: Any = None) -> ClassSummary:
    """Grade every student folder under ``folder`` (or just ``student``'s) into ``book``.

    A grading with ``only`` covers those exercises and is recorded as such: its content hash
    is of those modules, so it never stands in for a whole grading (nor a whole one for it).
    """
    summary = ClassSummary()
    slugs, students, refused = plan_class(folder, only, student)
    covered = None if only is None else slugs
    for name, why in refused.items():
        book.record_ungraded(name, why, __version__)
    summary.failed.update(refused)
    todo: list[tuple[Path, str]] = []
    for entry in students:
        digest = content_hash(entry, slugs)
        known = None if force else book.find(entry.name, digest, __version__, covered)
        if known is not None:
            summary.unchanged.append(entry.name)
            summary.scores[entry.name] = (known.score, known.max_score)
            summary.reports[entry.name] = known
            if known.flagged:
                summary.flagged.append(entry.name)
        else:
            todo.append((entry, digest))
    task = progress.add_task("grading", total=len(students)) if progress else None
    if progress:
        progress.update(task, advance=len(students) - len(todo))
    graders = _Graders()
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=jobs or default_jobs())
    try:
        futures = {pool.submit(_grade_one, s, only, tamper, parallel, graders): (s, d)
                   for s, d in todo}
        for future in as_completed(futures):
            entry, digest = futures[future]
            outcome = future.result()
            with lock:
                if isinstance(outcome, Report):
                    book.record(entry.name, outcome, digest, only=covered)
                    summary.graded.append(entry.name)
                    summary.scores[entry.name] = (outcome.score, outcome.max_score)
                    summary.reports[entry.name] = outcome
                    if outcome.flagged:
                        summary.flagged.append(entry.name)
                else:
                    book.record_ungraded(entry.name, outcome, __version__)
                    summary.failed[entry.name] = outcome
            if progress:
                progress.update(task, advance=1)
    except KeyboardInterrupt:  # what is recorded stays; the next run does the rest
        summary.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        graders.stop_all()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        graders.close_all()
    return summary
