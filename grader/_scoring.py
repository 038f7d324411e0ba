"""Turn the suites' outcomes into the report: points, statuses, causes."""

from __future__ import annotations

import msgspec

from . import __version__, _manifest
from ._bounds import cap_findings
from ._plugin import TestOutcome
from ._report import ExerciseResult, Finding, Report, TestResult
from ._status import ExerciseStatus, Reason
from ._submission import Problem
from ._tamper import classify

# A cause reported once explains the later failures it produced (one blocking call breaks
# every test that calls that function): those say so instead of repeating it.
_ROOT_CAUSES = {Reason.BLOCKING: "blocking call", Reason.BUSY_LOOP: "busy loop",
                Reason.IMPORT: "import error"}


def _unique(found: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int | str | None], Finding] = {}
    for finding in found:
        line = finding.line if finding.line is not None else finding.message
        seen.setdefault((finding.kind, finding.file, line), finding)
    return list(seen.values())


def _test_result(outcome: TestOutcome) -> TestResult:
    return TestResult(
        outcome.name, outcome.points if outcome.passed else 0, outcome.points,
        outcome.reason.status.value, outcome.message, outcome.hidden, round(outcome.seconds, 3),
        reason=outcome.reason.value,
        where=msgspec.to_builtins(outcome.where) if outcome.where else None,
        hints=list(outcome.hints),
        timeline=msgspec.to_builtins(outcome.timeline) if outcome.timeline else None)


def _explain_once(tests: list[TestResult], named: list[str]) -> None:
    """A later test that failed of a cause already reported says so, once: the same
    blocking call or busy loop (the same reason at the same line), or the same mistake as
    the suite named it (``named[i]``: test i's ``cause``, see ``grader.testing.fail``)."""
    causes: dict[tuple[str, str, object], TestResult] = {}
    for test, cause in zip(tests, named, strict=True):
        if test.status == "passed":
            continue
        if cause:
            first = causes.setdefault(("named", cause, None), test)
            if first is not test:
                said = test.reason == Reason.CAUSED_BY  # already told, in its own words
                test.caused_by, test.reason, test.timeline = (
                    first.name, Reason.CAUSED_BY.value, None)
                if not said:
                    test.message = (f"Failed because {cause}, as {first.name} reports; "
                                    "fix that first.")
                continue
        if test.reason not in _ROOT_CAUSES or test.where is None:
            continue
        key = (test.reason, str(test.where.get("file")), test.where.get("line"))
        first = causes.setdefault(key, test)
        if first is test:
            continue
        test.caused_by, test.reason, test.timeline = first.name, Reason.CAUSED_BY.value, None
        where = f"{test.where.get('file')}:{test.where.get('line')}"
        test.message = (f"Failed because of the {_ROOT_CAUSES[Reason(key[0])]} at {where} "
                        f"reported in {first.name}; fix that first.")


def _exercise_status(score: int, points: int, problem: Problem | None,
                     tests: list[TestResult]) -> ExerciseStatus:
    if problem is not None:
        return ExerciseStatus.MISSING if problem.reason is Reason.MISSING else ExerciseStatus.ERROR
    if any(t.reason in (Reason.IMPORT, Reason.GRADER_FAULT) for t in tests):
        return ExerciseStatus.ERROR
    if score == points:
        return ExerciseStatus.PASSED
    return ExerciseStatus.PARTIAL if score else ExerciseStatus.FAILED


def build_report(submission: str, exercises: list[_manifest.Exercise],
                 outcomes: list[TestOutcome], problems: dict[str, Problem],
                 findings: dict[str, list[Finding]], tamper: str, duration: float) -> Report:
    results = []
    for ex in exercises:
        mine = [o for o in outcomes if o.slug == ex.slug]
        tests = [_test_result(o) for o in mine]
        _explain_once(tests, [o.cause for o in mine])
        total = sum(t.max_score for t in tests)
        # Test points are scaled to the manifest's points, which are the authority.
        earned = sum(t.score for t in tests)
        score = round(ex.points * earned / total) if total else 0
        problem = problems.get(ex.slug)
        status = _exercise_status(score, ex.points, problem, tests)
        message = problem.message if problem else ""
        flags = cap_findings([classify(f) for f in _unique(findings.get(ex.slug, []))])
        tampered = [f for f in flags if f.severity == "tampering"]
        if score and ((flags and tamper == "zero") or (tampered and tamper == "tampering")):
            score, status = 0, ExerciseStatus.FAILED
            message = message or (
                f"scored 0: {tampered[0].kind} ({tampered[0].why})" if tampered and
                tamper == "tampering" else "scored 0: the tamper report flagged this exercise "
                "and the instructor's policy is to zero flagged exercises")
        results.append(ExerciseResult(ex.slug, ex.title, score, ex.points, status.value, tests,
                                      list(ex.hints), ex.docs, message, flags))
    return Report(submission, sum(r.score for r in results), sum(r.max_score for r in results),
                  results, __version__, round(duration, 3),
                  flagged=any(r.findings for r in results), tamper_policy=tamper)
