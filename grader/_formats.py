"""Every report format: pure functions ``Report -> str``, one per consumer.

``FORMATS`` maps the names the command accepts (``--format NAME``, ``--write NAME=PATH``)
to them. ``docs/report-formats.md`` says what consumes each format, how every field is
filled in, what students see and when, and the size bounds.

What students may see is bounded here, once: a test's message is cut to
``MESSAGE_LIMIT`` characters and exercism's ``output`` to ``OUTPUT_LIMIT``, both ending
with ``TRUNCATED``. No format ever carries a hidden suite's source: only the messages
the grader wrote, the test names, and the manifest's titles, hints and links.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import _manifest
from ._errors import ManifestError
from ._report import MESSAGE_LIMIT, ExerciseResult, Report, TestResult, bound, pictured_failure

OUTPUT_LIMIT = 500  # characters of exercism's per-test `output` (its own limit)
# A pull-request comment holds at most 65,536 characters: stay well under it.
MARKDOWN_LIMIT = 60_000
MAX_FINDINGS_SHOWN = 50
# Gradescope visibility of hidden tests: students see their results (messages, never
# source) once the instructor publishes the grades.
HIDDEN_VISIBILITY = "after_published"
GRADESCOPE_VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


# --------------------------------------------------------------------------- helpers


def _cases(ex: ExerciseResult) -> list[TestResult]:
    """The exercise's tests; one stand-in when none ran, so its points are never lost."""
    if ex.tests or ex.status == "passed":
        return ex.tests
    message = ex.problem or f"{ex.slug}: no test of this exercise could run ({ex.status})."
    status = "error" if ex.status == "error" else "failed"
    return [TestResult("exercise_could_run", 0, ex.max_score, status, message, False)]


def _failing(ex: ExerciseResult) -> list[TestResult]:
    return [t for t in _cases(ex) if t.status != "passed"]


def _why(ex: ExerciseResult) -> str:
    """Why an exercise did not pass, in one message."""
    failing = _failing(ex)
    return ex.problem or (failing[0].message if failing else ex.status)


def _task_ids(report: Report) -> dict[str, int]:
    """Each exercise's number in the curriculum (1-based), whatever ``--only`` picked."""
    try:
        order = [e.slug for e in _manifest.load()]
    except (OSError, ManifestError):
        order = []
    ids: dict[str, int] = {}
    extra = len(order)
    for ex in report.exercises:
        if ex.slug in order:
            ids[ex.slug] = order.index(ex.slug) + 1
        else:  # not in the manifest (a hand-made report): numbered after it
            extra += 1
            ids[ex.slug] = extra
    return ids


def _points(ex: ExerciseResult) -> list[int]:
    """Whole points per test that add up to the exercise's score.

    The grader scales suite points to the manifest's (they are equal by contract); when
    they differ, the score is shared out over the tests by largest remainder.
    """
    tests = _cases(ex)
    earned = [t.score for t in tests]
    if sum(earned) == ex.score:
        return earned
    total = sum(earned)
    if not total:
        return [0] * len(tests)
    exact = [ex.score * e / total for e in earned]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(tests)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: ex.score - sum(shares)]:
        shares[i] += 1
    return shares


def _verdict(report: Report) -> str:
    if report.max_score and report.score == report.max_score:
        return "passed"
    return "failed" if report.score == 0 else "partial"


# --------------------------------------------------------------------------- json


def render_json(report: Report) -> str:
    """The grader's own report (``grader/report.schema.json``)."""
    return report.to_json()


# --------------------------------------------------------------------------- markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _md(text: str) -> str:
    """Plain text made inert in GitHub markdown: no HTML, formatting, tables or mentions."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "@\u200b")  # no @mention notifications from a message
    return _NEWLINES.sub("<br>", text)


def _code(text: str) -> str:
    """An identifier (slug, test name) as inline code, or escaped text if it cannot be."""
    if re.fullmatch(r"[^`|\r\n]+", text):
        return f"`{text}`"
    return _md(text)


def _message(test: TestResult, limit: int) -> str:
    if not test.message:
        return "(no message)"
    if limit <= 0:
        return "(message left out to keep this comment short: see the JSON report)"
    return _md(bound(test.message, min(limit, MESSAGE_LIMIT)))


def _markdown_head(report: Report) -> list[str]:
    passed = sum(ex.status == "passed" for ex in report.exercises)
    badge = [f"**{_verdict(report).upper()}**", f"`{report.score}/{report.max_score}` points",
             f"{passed} of {len(report.exercises)} exercises passed"]
    if report.flagged:
        badge.append("**FLAGGED FOR REVIEW**")
    badge.append(f"aiograde {_md(report.grader_version)}, {report.duration:.1f} s")
    return [f"## aiograde: {report.score}/{report.max_score} for {_md(report.submission)}", "",
            " · ".join(badge), ""]


def _markdown_table(report: Report) -> list[str]:
    lines = ["| Exercise | Score | Status |", "| --- | ---: | --- |"]
    for ex in report.exercises:
        lines.append(f"| {_code(ex.slug)} {_md(ex.title)} | {ex.score}/{ex.max_score} "
                     f"| {_md(ex.status)} |")
    lines.append(f"| **Total** | **{report.score}/{report.max_score}** | |")
    return [*lines, ""]


def _markdown_exercise(ex: ExerciseResult, limit: int) -> list[str]:
    failing = _failing(ex)
    first = failing[0]
    hidden = " (hidden test)" if first.hidden else ""
    lines = [f"### {_code(ex.slug)}: {_md(ex.title)} ({ex.score}/{ex.max_score}, "
             f"{_md(ex.status)})", ""]
    if ex.problem and ex.problem != first.message:
        lines += [_md(bound(ex.problem)), ""]
    lines += [f"**First failure:** {_code(first.name)}{hidden}: "
              f"{_message(first, MESSAGE_LIMIT)}", ""]
    pictured = pictured_failure(failing)  # the loop's picture (grader/_timeline.py)
    if pictured is not None and pictured.timeline:
        from ._timeline import render_markdown as render_timeline

        if pictured is not first:
            lines += [f"What the loop did in {_code(pictured.name)}:", ""]
        lines += [render_timeline(pictured.timeline)]
    if ex.hints:
        lines += [f"**Hint:** {ex.hints[0]}", ""]
    rest = failing[1:]
    if not (rest or ex.hints or ex.docs):
        return lines
    more = f"{len(rest)} more failing test" + ("s" if len(rest) != 1 else "")
    summary = f"{more}, every hint and the lesson" if rest else "Every hint and the lesson"
    lines += ["<details>", f"<summary>{summary}</summary>", ""]
    if rest:
        for test in rest:
            mark = " (hidden test)" if test.hidden else ""
            said = ("the same message as the first failure" if test.message == first.message
                    else _message(test, limit))
            lines.append(f"- {_code(test.name)}{mark}: {said}")
        lines.append("")
    if ex.hints:
        lines += ["Hints, from gentle to telling:", ""]
        lines += [f"{n}. {hint}" for n, hint in enumerate(ex.hints, 1)]
        lines.append("")
    if ex.docs:
        lines += [f"Lesson: {ex.docs}", ""]
    lines += ["</details>", ""]
    return lines


def _markdown_findings(report: Report) -> list[str]:
    findings = [("submission", f) for f in report.findings]
    findings += [(ex.slug, f) for ex in report.exercises for f in ex.findings]
    zeroed = (" The flagged exercises scored 0." if report.tamper_policy == "zero" else
              " Exercises with a tampering finding scored 0." if report.tamper_policy ==
              "tampering" and any(f.severity == "tampering" for _, f in findings) else "")
    lines = ["### Flagged for review", "",
             "This submission did something no honest answer needs; an instructor will "
             f"review it before the grade counts.{zeroed}", ""]
    for slug, f in findings[:MAX_FINDINGS_SHOWN]:
        where = _md(f.file) + (f":{f.line}" if f.line is not None else "")
        lines.append(f"- {_code(slug)} · **{_md(f.kind)}**, {_md(f.severity)}, at {where} "
                     f"({_md(f.origin)}): {_md(bound(f.message))}"
                     + (f" (why: {_md(bound(f.why, 300))})" if f.why else ""))
    if len(findings) > MAX_FINDINGS_SHOWN:
        lines.append(f"- …and {len(findings) - MAX_FINDINGS_SHOWN} more (see the JSON report)")
    if not findings:
        lines.append("- (the report is flagged but lists no finding: see the JSON report)")
    return [*lines, ""]


def _markdown(report: Report, limit: int) -> str:
    lines = _markdown_head(report) + _markdown_table(report)
    for ex in report.exercises:
        if _failing(ex):
            lines += _markdown_exercise(ex, limit)
    if report.flagged:
        lines += _markdown_findings(report)
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    """A pull-request comment or ``$GITHUB_STEP_SUMMARY``, under 60,000 characters."""
    for limit in (MESSAGE_LIMIT, 200, 0):
        text = _markdown(report, limit)
        if len(text) <= MARKDOWN_LIMIT:
            break
    return text


# --------------------------------------------------------------------------- junit

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_junit(report: Report, *, timestamp: datetime | None = None) -> str:
    """JUnit XML as the Ant/Jenkins ``JUnit.xsd`` (windyroad) defines it.

    The report has no clock time: ``timestamp`` (default: now, UTC) stamps every suite.
    """
    stamp = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites")
    for index, ex in enumerate(report.exercises):
        cases = _cases(ex)
        suite = ET.SubElement(root, "testsuite", {
            "name": ex.slug, "package": "aiograde", "id": str(index),
            "hostname": "localhost", "timestamp": stamp,
            "tests": str(len(cases)),
            "failures": str(sum(t.status not in ("passed", "error") for t in cases)),
            "errors": str(sum(t.status == "error" for t in cases)),
            "skipped": "0",
            "time": f"{sum(t.seconds for t in ex.tests):.3f}",
        })
        properties = ET.SubElement(suite, "properties")
        for name, value in [("score", ex.score), ("max_score", ex.max_score),
                            ("status", ex.status), ("title", ex.title), ("docs", ex.docs),
                            ("hidden_tests", sum(t.hidden for t in cases)),
                            ("findings", len(ex.findings))]:
            ET.SubElement(properties, "property", {"name": name, "value": _xml(str(value))})
        for test in cases:
            case = ET.SubElement(suite, "testcase", {
                "classname": f"aiograde.{ex.slug}", "name": _xml(test.name),
                "time": f"{test.seconds:.3f}"})
            if test.status == "passed":
                continue
            message = _xml(bound(test.message))
            kind = "error" if test.status == "error" else "failure"
            detail = ET.SubElement(case, kind, {"message": message, "type": f"aiograde.{kind}"})
            detail.text = message
        out = [f"hint: {hint}" for hint in ex.hints] + ([f"lesson: {ex.docs}"] if ex.docs else [])
        ET.SubElement(suite, "system-out").text = _xml("\n".join(out))
        err = ([bound(ex.problem)] if ex.problem else []) + [
            f"finding {f.kind} at {f.file}:{f.line if f.line is not None else '?'} "
            f"({f.origin}): {bound(f.message)}" for f in ex.findings[:MAX_FINDINGS_SHOWN]]
        ET.SubElement(suite, "system-err").text = _xml("\n".join(err))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------------- gradescope


def _gradescope_output(report: Report, hidden_visibility: str) -> str:
    """The submission-level text: never ahead of what the tests' visibility reveals."""
    reveal = hidden_visibility == "visible" or not any(t.hidden for ex in report.exercises
                                                       for t in ex.tests)
    if reveal:
        lines = _markdown_head(report) + _markdown_table(report)
    else:
        lines = [f"## aiograde {_md(report.grader_version)}", "",
                 "Scores include hidden tests: their results appear when the grades are "
                 "published. Until then, the visible tests:", "",
                 "| Exercise | Visible tests passed |", "| --- | ---: |"]
        for ex in report.exercises:
            shown = [t for t in _cases(ex) if not t.hidden]
            passed = sum(t.status == "passed" for t in shown)
            lines.append(f"| {_code(ex.slug)} {_md(ex.title)} | {passed}/{len(shown)} |")
        lines.append("")
    for ex in report.exercises:
        failing = [t for t in _failing(ex) if reveal or not t.hidden]
        if failing and ex.hints:
            lines.append(f"- Hint for {_code(ex.slug)}: {ex.hints[0]}")
    if report.flagged:
        lines += ["", "**This submission is flagged for an instructor's review.**"]
    return "\n".join(lines).rstrip()


def render_gradescope(report: Report, *, hidden_visibility: str = HIDDEN_VISIBILITY) -> str:
    """Gradescope's ``/autograder/results/results.json``."""
    if hidden_visibility not in GRADESCOPE_VISIBILITIES:
        raise ValueError(f"hidden_visibility must be one of {GRADESCOPE_VISIBILITIES}")
    task_ids = _task_ids(report)
    tests = []
    for ex in report.exercises:
        for number, test in enumerate(_cases(ex), 1):
            tests.append({
                "score": test.score,
                "max_score": test.max_score,
                "name": f"{ex.slug}: {test.name}",
                "number": f"{task_ids[ex.slug]}.{number}",
                "output": "" if test.status == "passed" else bound(test.message),
                "output_format": "text",
                "status": "passed" if test.status == "passed" else "failed",
                "visibility": hidden_visibility if test.hidden else "visible",
                "tags": [ex.slug, *(["hidden"] if test.hidden else [])],
            })
    findings = [{"exercise": None, "kind": f.kind, "file": f.file, "line": f.line,
                 "origin": f.origin, "message": bound(f.message)} for f in report.findings]
    findings += [{"exercise": ex.slug, "kind": f.kind, "file": f.file, "line": f.line,
                 "origin": f.origin, "message": bound(f.message)}
                for ex in report.exercises for f in ex.findings]
    data = {
        "score": report.score,
        "max_score": report.max_score,
        "execution_time": report.duration,
        "output": _gradescope_output(report, hidden_visibility),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"aiograde": {
            "schema_version": report.schema_version,
            "grader_version": report.grader_version,
            "flagged": report.flagged,
            "tamper_policy": report.tamper_policy,
            "findings": findings,
            "exercises": [{"slug": ex.slug, "score": ex.score, "max_score": ex.max_score,
                           "status": ex.status} for ex in report.exercises],
        }},
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


# --------------------------------------------------------------------------- exercism

_EXERCISM_STATUS = {"passed": "pass", "error": "error"}  # anything else: "fail"


def render_exercism(report: Report) -> str:
    """Exercism's test runner ``results.json``, version 3, plus GitHub Classroom's points.

    GitHub Classroom's grading reporter reads the same file (base64 in
    ``<RUNNER>_RESULTS``): ``max_score`` at the top and each test's ``score``.
    """
    task_ids = _task_ids(report)
    tests = []
    for ex in report.exercises:
        for test, points in zip(_cases(ex), _points(ex), strict=True):
            entry: dict[str, Any] = {
                "name": f"{ex.slug}: {test.name}",
                "status": _EXERCISM_STATUS.get(test.status, "fail"),
            }
            if test.status != "passed" and test.message:
                entry["message"] = bound(test.message)
            output = getattr(test, "output", "")  # the report keeps no student output yet
            if output:
                entry["output"] = bound(output, OUTPUT_LIMIT)
            hidden = " (hidden test)" if test.hidden else ""
            entry["test_code"] = (f"# {ex.title}: {test.name}{hidden}\n"
                                  f"# The suite's source is not shown. "
                                  f"Run it: aiograde grade . --only {ex.slug}")
            entry.update(task_id=task_ids[ex.slug], score=points, max_score=test.max_score)
            tests.append(entry)
    data: dict[str, Any] = {"version": 3}
    if report.exercises and all(ex.status == "error" for ex in report.exercises):
        data["status"] = "error"
        data["message"] = "\n".join(
            f"{ex.slug}: {bound(_why(ex))}"
            for ex in report.exercises)
    elif all(entry["status"] == "pass" for entry in tests):
        data["status"] = "pass"
    else:
        data["status"] = "fail"
    data.update(tests=tests, score=report.score, max_score=report.max_score)
    return json.dumps(data, indent=2, ensure_ascii=False)


FORMATS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
    "gradescope": render_gradescope,
    "exercism": render_exercism,
}
