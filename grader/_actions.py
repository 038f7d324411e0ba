"""What a report says to GitHub Actions, from inside the job that graded (no token needed).

- Annotations on the student's lines, ``::error file=...,line=...::``, within GitHub's
  limits (10 errors and 10 warnings per step, 50 annotations per job; the rest are dropped
  silently): the most useful failures as errors, the next ones as warnings.
- The Markdown report in ``$GITHUB_STEP_SUMMARY``.
- GitHub Classroom's points: the two notices its grading reporter prints (``Autograding
  complete`` / ``Autograding report``), and the reporter's own input, the base64 of the
  exercism-v3 result with ``max_score``, as the step's ``result`` output.
- The artifact the ``workflow_run`` poster reads: ``report.json`` and what the run claims
  about its pull request (checked there against GitHub, never believed).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._artifact import CLAIM_NAME, REPORT_NAME
from ._formats import _failing, render_exercism
from ._report import Report, TestResult, bound

ERRORS_PER_STEP = 10
WARNINGS_PER_STEP = 10
NOTICES = 2  # GitHub Classroom's two; counted in the job's 50
ANNOTATION_LIMIT = 300  # characters of an annotation's message
# Why a test failed, most telling first: a cause the student can act on at one line beats
# a symptom; a failure another explains ("caused-by") comes last.
_REASON_RANK = {"import": 0, "missing": 0, "blocking": 1, "busy-loop": 1, "crash": 2,
                "not-implemented": 3, "wrong": 4, "timing": 5, "leak": 6, "time-limit": 7,
                "tampering": 8, "": 9, "grader-fault": 10, "caused-by": 11}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int) -> str:
    """One workflow command line; nothing in ``message`` can start another command."""
    props = ",".join(f"{k}={_escape_property(str(v))}" for k, v in properties.items())
    return f"::{level}{' ' + props if props else ''}::{_escape_data(message)}"


def _ranked(report: Report) -> list[tuple[str, TestResult, bool]]:
    """(slug, failing test, is the exercise's first failure), most useful first."""
    order = {ex.slug: i for i, ex in enumerate(report.exercises)}
    found = []
    for ex in report.exercises:
        for position, test in enumerate(_failing(ex)):
            found.append((ex.slug, test, position == 0))

    def key(item: tuple[str, TestResult, bool]) -> tuple[int, int, int, int]:
        slug, test, first = item
        reason = str(getattr(test, "reason", "") or "")
        pointed = getattr(test, "where", None) is not None
        return (0 if first else 1, _REASON_RANK.get(reason, 9), 0 if pointed else 1, order[slug])

    return sorted(found, key=key)


def annotation_commands(report: Report, root: str = "exercises") -> list[str]:
    """The workflow commands for one step: ``ERRORS_PER_STEP`` errors, then as many warnings."""
    lines = []
    ranked = _ranked(report)
    for index, (slug, test, _) in enumerate(ranked[: ERRORS_PER_STEP + WARNINGS_PER_STEP]):
        level = "error" if index < ERRORS_PER_STEP else "warning"
        where = getattr(test, "where", None) or {}
        file = where.get("file") if isinstance(where, dict) else getattr(where, "file", None)
        line = where.get("line") if isinstance(where, dict) else getattr(where, "line", None)
        props: dict[str, str | int] = {"file": f"{root}/{file or slug + '.py'}".lstrip("/")}
        if isinstance(line, int) and line > 0:
            props["line"] = line
        props["title"] = f"{slug}: {test.name}"
        hidden = " (hidden test)" if test.hidden else ""
        message = bound(test.message or f"{test.name} failed", ANNOTATION_LIMIT)
        lines.append(command(level, message + hidden, **props))
    return lines


def classroom_notices(report: Report) -> list[str]:
    """The two notices GitHub Classroom reads points from (as its grading reporter prints)."""
    totals = json.dumps({"totalPoints": report.score, "maxPoints": report.max_score},
                        separators=(",", ":"))
    return [command("notice", f"Points {report.score}/{report.max_score}",
                    title="Autograding complete"),
            command("notice", totals, title="Autograding report")]


def classroom_result(report: Report) -> str:
    """The grading reporter's input for this runner (``<RUNNER>_RESULTS``): base64 JSON."""
    return base64.b64encode(render_exercism(report).encode("utf-8")).decode("ascii")


def _append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def write_artifact(report_json: bytes, folder: Path, *, number: int | None,
                   head_sha: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / REPORT_NAME).write_bytes(report_json)
    claim: dict[str, Any] = {"number": number, "head_sha": head_sha or None}
    (folder / CLAIM_NAME).write_text(json.dumps(claim), encoding="utf-8")


def report_to_actions(report: Report, *, summary: str | None, root: str,
                      classroom: bool) -> Iterator[str]:
    """Write the step summary and the ``result`` output; yield the lines to print."""
    if summary is not None:
        _append("GITHUB_STEP_SUMMARY", summary.rstrip("\n") + "\n")
    if classroom:
        _append("GITHUB_OUTPUT", f"result={classroom_result(report)}\n")
    yield from annotation_commands(report, root)
    if classroom:
        yield from classroom_notices(report)
