"""One bound on a grading's report, applied where the report is built (``grade``).

Whatever a submission makes the grader say (floods of findings, long messages), its
report stays under ``MAX_REPORT_BYTES`` in every format, and a gradebook grows by no
more than that per grading. The JSON form is kept under half the bound: the other
formats (markdown, JUnit, Gradescope, exercism) and the gradebook's rows restate the
same texts with less than that much overhead.
"""

from __future__ import annotations

import json
from dataclasses import replace

import msgspec

from ._report import Finding, Report

MAX_REPORT_BYTES = 1024 * 1024
JSON_BUDGET = MAX_REPORT_BYTES // 2
MAX_FINDINGS_PER_MODULE = 50
# Tried in turn until the report fits: (characters per message, findings per exercise).
_STEPS = ((2000, MAX_FINDINGS_PER_MODULE), (600, 20), (200, 5), (80, 2))


def cap_findings(found: list[Finding], limit: int = MAX_FINDINGS_PER_MODULE) -> list[Finding]:
    """The first ``limit - 1`` findings and one that counts the rest, by kind."""
    if len(found) <= limit:
        return found
    kept, rest = found[: limit - 1], found[limit - 1:]
    counts: dict[str, int] = {}
    for finding in rest:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    summary = Finding("more-findings", f"and {len(rest)} more findings not listed ({kinds})",
                      rest[0].file, None, rest[0].origin)
    worst = next((f for f in rest if getattr(f, "severity", "") == "tampering"), None)
    if worst is not None and hasattr(summary, "severity"):
        summary = replace(summary, severity="tampering", why=getattr(worst, "why", ""))
    return [*kept, summary]


def _size(report: Report) -> int:
    return len(json.dumps(report.to_dict(), ensure_ascii=False).encode())


def _fits(report: Report) -> bool:
    """Whether the report's JSON is within ``JSON_BUDGET``. Most are far below it: their
    compact encoding (msgspec, a thirtieth of the cost of ``_size``) at most doubled is
    already a bound (``json.dumps`` adds one space after each of the compact form's commas and
    colons, and is otherwise the same), so only a large report is measured exactly."""
    try:
        if 2 * len(msgspec.json.encode(report)) <= JSON_BUDGET:
            return True
    except (TypeError, ValueError):  # (a type msgspec does not encode: measured exactly)
        pass
    return _size(report) <= JSON_BUDGET


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 14] + " …[truncated]"


def bound_report(report: Report) -> Report:
    """Shorten the report in place, in steps, until its JSON fits ``JSON_BUDGET``."""
    for chars, findings in _STEPS:
        if _fits(report):
            return report
        report.findings = cap_findings(report.findings, findings)
        for ex in report.exercises:
            ex.findings = cap_findings(ex.findings, findings)
            for f in ex.findings:
                f.message = _cut(f.message, min(chars, 300))
            ex.problem = _cut(ex.problem, chars)
            ex.hints = [_cut(h, chars) for h in ex.hints[:5]]
            ex.docs = _cut(ex.docs, chars)
            for test in ex.tests:
                test.message = _cut(test.message, chars)
    if not _fits(report):  # only a grader bug gets here: say so, keep the scores
        for ex in report.exercises:
            ex.findings, ex.hints, ex.docs = ex.findings[:1], [], ""
            for test in ex.tests:
                test.message = _cut(test.message, 40)
    return report
