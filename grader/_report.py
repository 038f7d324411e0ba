"""The grading report: one data model, rendered as JSON or as a terminal table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import msgspec

SCHEMA_VERSION = 1


# The longest message a student reads, in every format and in the gradebook.
MESSAGE_LIMIT = 2000
TRUNCATED = "…[truncated]"


def bound(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to at most ``limit`` characters, saying so when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(TRUNCATED), 0)] + TRUNCATED


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    score: int
    max_score: int
    status: str  # a grader._status.TestStatus: "passed" | "failed" | "error" (the grader's fault)
    message: str
    hidden: bool
    seconds: float = 0.0  # wall-clock time the test took, sandbox included
    reason: str = ""  # a grader._status.Reason: why it did not pass ("" when it passed)
    # The student's line it points at: {"file", "line", "function", "code"}, or None.
    where: dict[str, Any] | None = None
    caused_by: str | None = None  # an earlier test whose cause explains this failure
    hints: list[str] = field(default_factory=list)  # this test's own hints
    # What the loop did, for timing and concurrency failures (see grader._wire.TimelineEvent).
    timeline: list[dict[str, Any]] | None = None


@dataclass
class Finding:
    """Something a submission did that no honest answer needs (the tamper report)."""

    kind: str  # e.g. "imports-grader", "patches-stdlib", "os-exit", "writes-outside"
    message: str
    file: str
    line: int | None
    origin: str  # "static" (read in the source) | "runtime" (seen by the audit hook)
    # "tampering" (no honest answer does it: zeroes the exercise by default) or
    # "suspicious" (flags for review only); set by the parent from the kind, and why.
    severity: str = "suspicious"
    why: str = ""


@dataclass
class ExerciseResult:
    slug: str
    title: str
    score: int
    max_score: int
    status: str  # "passed" | "partial" | "failed" | "missing" | "error"
    tests: list[TestResult]
    hints: list[str] = field(default_factory=list)
    docs: str = ""
    problem: str = ""
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Report:
    submission: str
    score: int
    max_score: int
    exercises: list[ExerciseResult]
    grader_version: str
    duration: float
    schema_version: int = SCHEMA_VERSION
    # True when any exercise has findings: the submission needs an instructor's review.
    flagged: bool = False
    tamper_policy: str = "tampering"
    # How the child was confined: mechanisms applied, and those unavailable on this machine.
    sandbox: dict[str, list[str]] = field(default_factory=dict)
    # Findings about the submission as a whole (e.g. a conftest.py beside the modules).
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """The report a JSON report (``to_dict()``) was made from.

        Unknown keys are ignored, so a newer report with added fields still loads; a
        different ``schema_version`` is refused.
        """
        from ._errors import ReportError

        if not isinstance(data, Mapping):
            raise ReportError(f"a report is a JSON object, got {type(data).__name__}")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ReportError(f"report schema_version {version!r} is not supported "
                              f"(this grader reads version {SCHEMA_VERSION})")
        try:
            exercises = []
            for raw in data["exercises"]:
                values = _known(ExerciseResult, raw)
                values["tests"] = [TestResult(**_known(TestResult, t))
                                   for t in raw.get("tests", [])]
                values["hints"] = list(raw.get("hints", []))
                values["findings"] = [Finding(**_known(Finding, f))
                                      for f in raw.get("findings", [])]
                exercises.append(ExerciseResult(**values))
            found = [Finding(**_known(Finding, f)) for f in data.get("findings", [])]
            return cls(**{**_known(cls, data), "exercises": exercises, "findings": found})
        except (KeyError, TypeError, AttributeError) as exc:
            raise ReportError(f"not an aiograde report: {type(exc).__name__}: {exc}") from None

    def to_json(self) -> str:
        """The report as JSON, indented by two spaces: msgspec's encoder, twenty times the
        speed of ``json.dumps`` over ``asdict`` (it writes floats the shortest way, ``1e-7``
        where ``json`` writes ``1e-07``: the same numbers); ``json`` for what it refuses."""
        try:
            return msgspec.json.format(msgspec.json.encode(self), indent=2).decode()
        except (msgspec.EncodeError, TypeError, ValueError, OverflowError):
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _known(kind: type, raw: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(kind)}
    return {k: v for k, v in raw.items() if k in names}


def pictured_failure(failed: list[TestResult]) -> TestResult | None:
    """The failing test whose timeline a report draws: the first failure's, or else the
    first one that has a picture (a timing failure after, say, a wrong value)."""
    return next((t for t in failed if t.timeline), None)


def render_table(report: Report, console: Any = None) -> None:
    """A readable summary: a table of exercises, then the first failure of each (like exercism)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    colours = {"passed": "green", "partial": "yellow", "failed": "red", "missing": "red",
               "error": "magenta"}
    table = Table(title=f"aiograde: {report.submission}", title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("exercise")
    table.add_column("score", justify="right")
    table.add_column("status")
    for number, ex in enumerate(report.exercises, 1):
        colour = colours.get(ex.status, "white")
        table.add_row(str(number), f"{ex.slug} [dim]{ex.title}[/dim]",
                      f"{ex.score}/{ex.max_score}", f"[{colour}]{ex.status}[/{colour}]")
    table.add_section()
    table.add_row("", "[bold]total[/bold]", f"[bold]{report.score}/{report.max_score}[/bold]", "")
    console.print(table)
    for ex in report.exercises:
        failed = [t for t in ex.tests if t.status != "passed"]
        if not failed:
            continue
        first = failed[0]
        more = (f" [dim](and {len(failed) - 1} more failing: `aiograde check {ex.slug} --all`"
                " shows them)[/dim]") if len(failed) > 1 else ""
        console.print(f"\n[bold]{ex.slug}[/bold] · {first.name}{more}", highlight=False)
        console.print(f"  {first.message}", markup=False, highlight=False)
        pictured = pictured_failure(failed)  # the loop's picture (grader/_timeline.py)
        if pictured is not None and pictured.timeline:
            from ._timeline import render_terminal

            if pictured is not first:
                console.print(f"  what the loop did in {pictured.name}:", highlight=False)
            console.print(render_terminal(pictured.timeline), markup=False, highlight=False)
        if ex.hints:
            console.print(f"  [dim]hint: {ex.hints[0]}[/dim]", highlight=False)
    console.print(f"\n[dim]{report.duration:.1f} s[/dim]")
