"""Grade a whole class: one sub-folder per student, in parallel, resumable.

Each submission is graded by its own grader process (``aiograde grade``), so one
submission can never disturb another's grading, and the parent only reads back a JSON
report. Every grading lands in the gradebook; a submission whose content and grader
version are already there is not graded again, so an interrupted run picks up where it
stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, _manifest
from ._errors import SubmissionError
from ._gradebook import Gradebook, content_hash
from ._report import Report

# One submission's whole grading, all exercises; far above any honest submission's.
PER_SUBMISSION_SECONDS = 900


@dataclass
class ClassSummary:
    graded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # student -> why it could not be graded
    scores: dict[str, tuple[int, int]] = field(default_factory=dict)
    flagged: list[str] = field(default_factory=list)
    interrupted: bool = False


def students_in(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """The student folders, by name; links and stray files are refused, with why."""
    if not folder.is_dir():
        raise SubmissionError(f"{folder} is not a folder of submissions (one sub-folder "
                                 "per student)")
    students, refused = [], {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            refused[entry.name] = "a symbolic link, not a folder; the grader refuses links"
        elif entry.is_dir():
            students.append(entry)
    return students, refused


def _grade_one(student: Path, only: list[str] | None, tamper: str,
               running: dict[str, subprocess.Popen[str]]) -> Report | str:
    """The report, or why there is none."""
    command = [sys.executable, "-m", "grader", "grade", str(student), "--format", "json",
               "--no-gradebook", "--tamper", tamper, "--hide", str(student.parent),
               # Submissions already run side by side: one grader process each is enough.
               "--parallel", "1"]
    for slug in only or []:
        command += ["--only", slug]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    running[student.name] = process
    try:
        out, err = process.communicate(timeout=PER_SUBMISSION_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return f"grading took longer than {PER_SUBMISSION_SECONDS} s and was stopped"
    finally:
        running.pop(student.name, None)
    if process.returncode != 0:
        last = (err.strip().splitlines() or [f"exit status {process.returncode}"])[-1]
        return last.removeprefix("aiograde: ")[:300]
    try:
        return Report.from_dict(json.loads(out))
    except (ValueError, TypeError) as exc:
        return f"the grader's report could not be read ({exc})"


def grade_class(folder: Path, book: Gradebook, *, jobs: int | None = None, force: bool = False,
                only: list[str] | None = None, tamper: str = "tampering",
                progress: Any = None) -> ClassSummary:
    """Grade every student folder under ``folder`` into ``book``."""
    summary = ClassSummary()
    students, refused = students_in(folder)
    summary.failed.update(refused)
    slugs = [e.slug for e in _manifest.load()]
    todo: list[tuple[Path, str]] = []
    for student in students:
        digest = content_hash(student, slugs)
        known = None if force else book.find(student.name, digest, __version__)
        if known is not None:
            summary.unchanged.append(student.name)
            summary.scores[student.name] = (known.score, known.max_score)
            if known.flagged:
                summary.flagged.append(student.name)
        else:
            todo.append((student, digest))
    task = progress.add_task("grading", total=len(students)) if progress else None
    if progress:
        progress.update(task, advance=len(students) - len(todo))
    running: dict[str, subprocess.Popen[str]] = {}
    lock = threading.Lock()
    # Most of a grading's wall time is spent waiting in real-clock scenarios (threads,
    # subprocesses), so four per core keep the cores busy.
    pool = ThreadPoolExecutor(max_workers=jobs or 4 * (os.cpu_count() or 1))
    try:
        futures = {pool.submit(_grade_one, s, only, tamper, running): (s, d) for s, d in todo}
        for future in as_completed(futures):
            student, digest = futures[future]
            outcome = future.result()
            with lock:
                if isinstance(outcome, Report):
                    book.record(student.name, outcome, digest)
                    summary.graded.append(student.name)
                    summary.scores[student.name] = (outcome.score, outcome.max_score)
                    if outcome.flagged:
                        summary.flagged.append(student.name)
                else:
                    summary.failed[student.name] = outcome
            if progress:
                progress.update(task, advance=1)
    except KeyboardInterrupt:  # what is recorded stays; the next run does the rest
        summary.interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        for process in list(running.values()):
            process.terminate()  # it unwinds: sandboxes closed, temporary folders removed
        for process in list(running.values()):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return summary
