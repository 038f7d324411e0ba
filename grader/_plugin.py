"""The pytest plugin the grader runs its own suites with, in its own process.

It gives each test a ``student`` fixture (a handle on that exercise's sandboxed
worker) and records every test's outcome with the points and visibility on its
``aiograde`` mark. Only the verdict's message reaches the report, never a traceback,
so the hidden suites' source is not shown to students.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from ._child import STUCK_MARK
from ._manifest import Exercise
from ._report import Finding
from ._sandbox import Failure, Sandbox
from ._values import raised, show
from .testing import GradingFailure, Observation, fail


@dataclass
class TestOutcome:
    slug: str
    name: str
    points: int
    hidden: bool
    passed: bool = True
    message: str = ""
    internal_error: bool = False
    seconds: float = 0.0


class Student:
    """The ``student`` fixture: runs scenarios against one exercise's module."""

    def __init__(self, exercise: Exercise, sandbox: Sandbox | None, problem: str | None,
                 seen: Seen) -> None:
        self.exercise, self.sandbox, self.problem, self.seen = exercise, sandbox, problem, seen

    def run(self, scenario: str, /, call: str | None = None, **args: Any) -> Observation:
        __tracebackhide__ = True
        call = call or f"{scenario}({', '.join(show(v, 80) for v in args.values())})"
        if self.problem:
            fail(self.problem)
        assert self.sandbox is not None
        slug, limit = self.exercise.slug, self.exercise.time_limit
        hello = self.sandbox.ready(slug, limit)
        if isinstance(hello, dict):
            self.seen.note(slug, hello)
        if isinstance(hello, dict) and hello.get("import_error"):
            err = raised(hello["import_error"])
            fail(f"{slug}.py could not be imported: {err}. No test of this exercise can run "
                 "until the module imports without errors.")
        if isinstance(hello, Failure):
            self.seen.note_failure(slug, hello)
            if hello.kind == "garbled":
                fail(f"{slug}.py could not be graded: {hello.detail}.")
            fail(f"{slug}.py could not be imported: " + self._explain(hello, "the import"))
        answer = self.sandbox.worker(slug).run(scenario, args, limit)
        if isinstance(answer, Failure):
            self.seen.note_failure(slug, answer)
            fail(self._explain(answer, call))
        assert isinstance(answer, dict)
        self.seen.note(slug, answer)
        return Observation.from_answer(call, answer)

    def _explain(self, failure: Failure, call: str) -> str:
        slug = self.exercise.slug
        if failure.kind == "timeout":
            stuck = _stuck_at(failure.detail)
            if stuck:
                return (f"{call} did not finish within {self.exercise.time_limit:g} s of real "
                        f"time and was stopped: the event loop was stuck{stuck}. A blocking "
                        "call or a thread lock waited on the loop's thread blocks every task, "
                        "and here, forever: await an asyncio primitive instead.")
            return (f"{call} did not finish within {self.exercise.time_limit:g} s of real time "
                    "and was stopped. Is something waiting forever, a loop that never ends, or "
                    "a CancelledError swallowed so that cancelling never ends it?")
        if failure.kind == "crash":
            tail = failure.detail.strip().splitlines()[-3:]
            last = f" Its last output: {' | '.join(tail)}" if tail else ""
            return (f"The process running {slug}.py ended during {call} instead of answering "
                    "(it exited or crashed). Does the code call sys.exit() or os._exit(), or "
                    f"kill its own process?{last}")
        return f"{call}: {failure.detail}."


MAX_MESSAGE = 2000


class Seen:
    """What the workers said besides answers: tamper findings and how they were confined."""

    def __init__(self) -> None:
        self.findings: dict[str, list[Finding]] = {}
        self.sandbox_missing: set[str] = set()
        self.sandbox_applied: set[str] = set()

    def note(self, slug: str, message: dict[str, Any]) -> None:
        for item in message.get("findings") or []:
            if isinstance(item, dict):
                line = item.get("line")
                self.findings.setdefault(slug, []).append(Finding(
                    str(item.get("kind", "?"))[:40], str(item.get("message", ""))[:300],
                    str(item.get("file", ""))[:100], line if isinstance(line, int) else None,
                    "runtime"))
        confinement = message.get("confinement")
        if isinstance(confinement, dict):
            self.sandbox_applied.update(str(x) for x in confinement.get("applied") or [])
            self.sandbox_missing.update(str(x) for x in confinement.get("missing") or [])

    def note_failure(self, slug: str, failure: Failure) -> None:
        if failure.kind == "garbled":  # only code that hunts for the grader's pipes does this
            self.findings.setdefault(slug, []).append(Finding(
                "forges-answers", failure.detail,
                f"{slug}.py", None, "runtime"))

    def to_dict(self) -> dict[str, Any]:
        return {"findings": {k: [asdict(f) for f in v] for k, v in self.findings.items()},
                "applied": sorted(self.sandbox_applied), "missing": sorted(self.sandbox_missing)}

    def merge(self, data: dict[str, Any]) -> None:
        """Add what another grader process saw (its ``to_dict``)."""
        for slug, found in data["findings"].items():
            self.findings.setdefault(slug, []).extend(Finding(**f) for f in found)
        self.sandbox_applied.update(data["applied"])
        self.sandbox_missing.update(data["missing"])


def _stuck_at(log: str) -> str:
    """Where the child's watchdog last saw the loop stuck, from the worker's log."""
    for line in reversed(log.splitlines()):
        if line.startswith(STUCK_MARK):
            try:
                where = json.loads(line[len(STUCK_MARK):])
            except ValueError:
                return ""
            if isinstance(where, dict):
                return (f" at {where.get('file')}:{where.get('line')} in {where.get('function')}"
                        f" ({str(where.get('code'))[:120]})")
            return ""
    return ""


class GradingPlugin:
    def __init__(self, exercises: dict[str, Exercise], sandbox: Sandbox | None,
                 problems: dict[str, str], visible_only: bool = False) -> None:
        self.exercises, self.sandbox, self.problems = exercises, sandbox, problems
        self.visible_only = visible_only
        self.outcomes: dict[str, TestOutcome] = {}
        self.seen = Seen()

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "aiograde(points, hidden): points and visibility")

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Student:
        slug = request.module.SLUG
        return Student(self.exercises[slug], self.sandbox, self.problems.get(slug), self.seen)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.visible_only:  # `aiograde check`: only what students see
            hidden = [i for i in items if _is_hidden(i)]
            if hidden:
                config.hook.pytest_deselected(items=hidden)
                items[:] = [i for i in items if not _is_hidden(i)]
        for item in items:
            mark = item.get_closest_marker("aiograde")
            module = getattr(item, "module", None)
            slug = getattr(module, "SLUG", None)
            if mark is None or slug not in self.exercises:
                raise pytest.UsageError(
                    f"{item.nodeid}: every hidden test needs @case(points=...) and its module "
                    "a SLUG naming an exercise of the manifest")
            self.outcomes[item.nodeid] = TestOutcome(
                slug, item.name, int(mark.kwargs["points"]), bool(mark.kwargs.get("hidden", True)))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Only now, with every suite loaded, does student code start: fork every worker
        # at once so the modules import side by side.
        if self.sandbox is not None:
            self.sandbox.start(list(self.sandbox.modules))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        outcome = self.outcomes.get(item.nodeid)
        if outcome is not None:
            outcome.seconds += report.duration
        if outcome is None or not report.failed or not outcome.passed:
            return report
        outcome.passed = False
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, GradingFailure):
            text = str(exc)  # what the student reads: bounded, whatever the submission printed
            outcome.message = text if len(text) <= MAX_MESSAGE else \
                text[:MAX_MESSAGE - 14] + " …[truncated]"
        else:  # a bug in the grader, not in the submission: say so, don't blame the student
            outcome.internal_error = True
            outcome.message = (f"internal grader error in {report.when}: "
                               f"{type(exc).__name__}: {exc}"[:500])
        return report


def _is_hidden(item: pytest.Item) -> bool:
    mark = item.get_closest_marker("aiograde")
    return mark is None or bool(mark.kwargs.get("hidden", True))


def suite_path(slug: str) -> Path:
    return Path(__file__).parent / "suites" / f"test_{slug}.py"
