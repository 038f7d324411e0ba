"""The pytest plugin the grader runs its own suites with, in its own process.

It gives each test a ``student`` fixture (a handle on that exercise's sandboxed
worker) and records every test's outcome with the points and visibility on its
``aiograde`` mark. Only the verdict's message reaches the report, never a traceback,
so the hidden suites' source is not shown to students.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import time
import typing
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn, TypeVar, overload

import msgspec
import pytest

from . import teaching
from ._child import STUCK_MARK
from ._child.kit import REGISTRY, scenario_name
from ._manifest import Exercise
from ._report import Finding, bound
from ._sandbox import Failure, FailureKind, Overrun, Sandbox
from ._status import Reason
from ._submission import Problem
from ._values import decode, show
from ._wire import Answer, Location, RuntimeFinding, SandboxReport, Stall, TimelineEvent, WireError
from .testing import GradingFailure, Observation, fail

R = TypeVar("R")
# Once an exercise's code has run out of time, each later test still gets this long (real
# seconds): enough for an answer that finishes (on the virtual clock they take a fraction
# of it), so no point it would earn is lost; a hang costs this much, not a whole limit.
OVERRUN_FLOOR = 0.5


class GraderFault(Exception):
    """A bug in the grader (a suite asking for what no scenario offers, a result of the
    wrong shape): the test is an ``error``, never the student's fault."""


class TestOutcome(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One hidden test's verdict; travels between grader processes as JSON."""

    __test__ = False  # not a pytest test class

    slug: str
    name: str
    points: int
    hidden: bool
    hints: list[str] = []
    reason: Reason = Reason.NONE
    message: str = ""
    where: Location | None = None
    timeline: list[TimelineEvent] | None = None
    seconds: float = 0.0
    cause: str = ""  # the mistake, named for the tests it also fails (grader.testing.fail)

    @property
    def passed(self) -> bool:
        return self.reason is Reason.NONE


# A scenario's signature, read once (every test checks its arguments against it).
_signature = functools.cache(inspect.signature)


@functools.cache
def _result_type(fn: Callable[..., Any]) -> Any:
    hints = typing.get_type_hints(fn)
    if "return" not in hints:
        raise GraderFault(f"scenario {scenario_name(fn)} has no result type (annotate its return)")
    result = hints["return"]
    origin = typing.get_origin(result)
    return typing.get_args(result)[-1] if origin is Coroutine else result


def fill_caches() -> None:
    """Read every scenario's signature and result type, and build msgspec's decoding of
    each result type, now: a class grading's warm grader process calls this once, and each
    grading forked from it finds them read instead of reading them again (about 10 ms)."""
    for spec in REGISTRY.values():
        _signature(spec.fn)
        msgspec.json.Decoder(_result_type(spec.fn))


class Student:
    """The ``student`` fixture: runs scenarios against one exercise's module."""

    def __init__(self, exercise: Exercise, sandbox: Sandbox | None, problem: Problem | None,
                 seen: Seen, test: str = "") -> None:
        self.exercise, self.sandbox, self.problem, self.seen = exercise, sandbox, problem, seen
        self.test = test  # the hidden test this fixture serves

    @overload
    def run(self, scenario: Callable[..., Coroutine[Any, Any, R]], /, call: str | None = None,
            **args: Any) -> Observation[R]: ...

    @overload
    def run(self, scenario: Callable[..., R], /, call: str | None = None,
            **args: Any) -> Observation[R]: ...

    def run(self, scenario: Callable[..., Any], /, call: str | None = None,
            **args: Any) -> Observation[Any]:
        """Run ``scenario`` (a function of ``grader.scenarios.<slug>``) with ``args`` in the
        child, and decode what it saw into the scenario's result type."""
        __tracebackhide__ = True
        name = self._check(scenario, args)
        call = call or f"{scenario.__name__}({', '.join(show(v, 80) for v in args.values())})"
        if self.problem is not None:
            fail(self.problem.message, self.problem.reason)
        assert self.sandbox is not None
        slug, limit = self.exercise.slug, self.exercise.time_limit
        hello = self.sandbox.ready(slug, limit)
        if isinstance(hello, Failure):
            self.seen.note_failure(slug, hello)
            reason = Reason.IMPORT if hello.kind in (FailureKind.TIMEOUT, FailureKind.CRASH) \
                else self._reason(hello)
            fail(f"{slug}.py could not be imported: " + self._explain(hello, "the import"), reason)
        self.seen.note(slug, hello.findings, hello.confinement)
        if hello.import_error is not None:
            err = hello.import_error
            fail(f"{slug}.py could not be imported: {err}. No test of this exercise can run "
                 "until the module imports without errors.", Reason.IMPORT, where=err.where)
        overrun = self.sandbox.overruns.get(slug)
        started = time.monotonic()
        allowed = limit if overrun is None else min(limit, max(overrun.left, OVERRUN_FLOOR))
        answer = self.sandbox.worker(slug).run(name, args, allowed)
        if overrun is not None:
            overrun.left = max(0.0, overrun.left - (time.monotonic() - started))
        if isinstance(answer, Failure):
            self.seen.note_failure(slug, answer)
            if answer.kind is FailureKind.TIMEOUT:
                if overrun is not None:
                    fail(f"{call} was stopped: {slug}.py already ran out of time in "
                         f"{overrun.first_test} (see there), and what is left of its time went "
                         "to tests that did not finish either.", Reason.CAUSED_BY,
                         cause=_out_of_time(slug))
                self.sandbox.overruns[slug] = Overrun(self.test, limit / 2)
                stuck = _stuck_at(answer.detail)
                if stuck is not None and stuck.where is not None:
                    self._stuck(stuck, call)
            fail(self._explain(answer, call), self._reason(answer),
                 cause=_out_of_time(slug) if answer.kind is FailureKind.TIMEOUT else "")
        assert isinstance(answer, Answer)
        self.seen.note(slug, answer.findings, None)
        return self._observation(scenario, call, answer)

    def _check(self, scenario: Callable[..., Any], args: dict[str, Any]) -> str:
        """The scenario's registry name, once it is known to exist with these arguments."""
        name = scenario_name(scenario)
        if REGISTRY.get(name) is None or REGISTRY[name].fn is not scenario \
                or not name.startswith(f"{self.exercise.slug}."):
            raise GraderFault(f"{name} is not a scenario of {self.exercise.slug}")
        try:
            _signature(scenario).bind(None, **args)
        except TypeError as exc:
            raise GraderFault(f"scenario {name} called with wrong arguments: {exc}") from None
        return name

    @staticmethod
    def _observation(scenario: Callable[..., Any], call: str, answer: Answer) -> Observation[Any]:
        obs = answer.observation
        value = None
        if obs.error is None:
            try:
                value = msgspec.convert(decode(obs.value), _result_type(scenario))
            except (msgspec.ValidationError, WireError) as exc:
                raise GraderFault(f"the result of {obs.scenario} does not match its type: "
                                  f"{exc}") from None
        return Observation(
            call=call, value=value, error=obs.error, elapsed=obs.elapsed, wall=obs.wall,
            leaks=obs.leaks, never_awaited=obs.never_awaited, warnings=obs.warnings,
            loop_errors=obs.loop_errors, blocking=obs.blocking, stalls=obs.stalls,
            timeline=obs.timeline, stdout=obs.stdout, stderr=obs.stderr)

    @staticmethod
    def _reason(failure: Failure) -> Reason:
        return {FailureKind.TIMEOUT: Reason.TIME_LIMIT, FailureKind.CRASH: Reason.CRASH,
                FailureKind.GARBLED: Reason.TAMPERING,
                FailureKind.WIRE: Reason.GRADER_FAULT}[failure.kind]

    def _stuck(self, stuck: Stall, call: str) -> NoReturn:
        """Stopped while one loop step held the loop's thread at a line of the submission:
        a busy loop when that thread spent the time on the CPU, else a blocking wait."""
        where, limit = msgspec.structs.asdict(stuck.where) if stuck.where else None, \
            self.exercise.time_limit
        cause = _out_of_time(self.exercise.slug)
        if stuck.kind == "cpu":
            fail(teaching.busy_loop_forever(call, limit, where),
                 Reason.BUSY_LOOP, where=stuck.where, cause=cause)
        fail(teaching.stuck_waiting(call, limit, where), Reason.BLOCKING, where=stuck.where,
             cause=cause)

    def _explain(self, failure: Failure, call: str) -> str:
        slug = self.exercise.slug
        if failure.kind is FailureKind.TIMEOUT:
            return (f"{call} did not finish within {self.exercise.time_limit:g} s of real time "
                    "and was stopped. Is something waiting forever, a loop that never ends, or "
                    "a CancelledError swallowed so that cancelling never ends it?")
        if failure.kind is FailureKind.CRASH:
            tail = failure.detail.strip().splitlines()[-3:]
            last = f" Its last output: {' | '.join(tail)}" if tail else ""
            return (f"The process running {slug}.py ended during {call} instead of answering "
                    "(it exited or crashed). Does the code call sys.exit() or os._exit(), or "
                    f"kill its own process?{last}")
        if failure.kind is FailureKind.WIRE:
            return (f"internal grader error during {call}: the answer did not match the "
                    "grader's protocol. This is a bug in aiograde, not in your code.")
        return f"{slug}.py could not be graded: {failure.detail}."


class Seen:
    """What the workers said besides answers: tamper findings and how they were confined."""

    def __init__(self) -> None:
        self.findings: dict[str, list[Finding]] = {}
        self.sandbox_missing: set[str] = set()
        self.sandbox_applied: set[str] = set()

    def note(self, slug: str, findings: list[RuntimeFinding],
             confinement: SandboxReport | None) -> None:
        for item in findings:
            self.findings.setdefault(slug, []).append(Finding(
                item.kind[:40], item.message[:300], item.file[:100], item.line, "runtime"))
        if confinement is not None:
            self.sandbox_applied.update(confinement.applied)
            self.sandbox_missing.update(confinement.missing)

    def note_failure(self, slug: str, failure: Failure) -> None:
        if failure.kind is FailureKind.GARBLED:  # only code that hunts for our pipes does this
            self.findings.setdefault(slug, []).append(Finding(
                "forges-answers", failure.detail, f"{slug}.py", None, "runtime"))

    def merge(self, other: Seen) -> None:
        for slug, found in other.findings.items():
            self.findings.setdefault(slug, []).extend(found)
        self.sandbox_applied |= other.sandbox_applied
        self.sandbox_missing |= other.sandbox_missing


def _out_of_time(slug: str) -> str:
    return f"{slug}.py ran out of time"


def _stuck_at(log: str) -> Stall | None:
    """What the child's watchdog last said of a stuck loop step (where, and whether its
    thread spun on the CPU), from the worker's log."""
    for line in reversed(log.splitlines()):
        if line.startswith(STUCK_MARK):
            try:
                return msgspec.json.decode(line[len(STUCK_MARK):], type=Stall)
            except msgspec.DecodeError:
                return None
    return None


# Hook (grader._streamgrade, for the nbgrader test cells): called with each test's final
# outcome as soon as the test ends, in the grader process that ran it.
on_test_finished: Callable[[TestOutcome], None] | None = None


class GradingPlugin:
    def __init__(self, exercises: dict[str, Exercise], sandbox: Sandbox | None,
                 problems: dict[str, Problem], *, visible_only: bool = False) -> None:
        self.exercises, self.sandbox, self.problems = exercises, sandbox, problems
        self.visible_only = visible_only
        self.outcomes: dict[str, TestOutcome] = {}
        self.seen = Seen()
        # Suite files that failed to load and name no exercise: the run cannot be trusted.
        self.unattributed: list[str] = []
        self.rootpath = Path.cwd()  # pytest's, once configured: where node ids are relative to
        self.item: pytest.Function | None = None  # the test being set up (see student)

    def runs(self, hidden: bool) -> bool:
        """Whether a test of that visibility is run (``check`` runs the visible ones only)."""
        return not (hidden and self.visible_only)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.rootpath = config.rootpath
        config.addinivalue_line("markers", "aiograde(points, hidden, hints): points, visibility, "
                                "hints")
        # Nobody reads pytest's terminal output (the report is ours, the output a sink's):
        # its reporter would still handle three reports a test.
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.item = item if isinstance(item, pytest.Function) else None

    @pytest.fixture
    def student(self) -> Student:
        # (The test from the hook above, not from pytest's ``request`` fixture: pytest makes
        # a new definition of that fixture, its signature read, each time it is asked for.)
        return self._student()

    def _student(self) -> Student:
        item = self.item
        assert item is not None, "the student fixture serves the hidden suites' tests only"
        slug = item.module.SLUG
        return Student(self.exercises[slug], self.sandbox, self.problems.get(slug), self.seen,
                       item.name)

    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        kept = []
        for item in items:
            mark = item.get_closest_marker("aiograde")
            module = getattr(item, "module", None)
            slug = getattr(module, "SLUG", None)
            if mark is None or slug not in self.exercises:
                raise pytest.UsageError(
                    f"{item.nodeid}: every hidden test needs @case(points=...) and its module "
                    "a SLUG naming an exercise of the manifest")
            hidden = bool(mark.kwargs.get("hidden", True))
            if not self.runs(hidden):
                continue
            kept.append(item)
            self.outcomes[item.nodeid] = TestOutcome(
                slug=slug, name=item.name, points=int(mark.kwargs["points"]), hidden=hidden,
                hints=list(mark.kwargs.get("hints", ())))
        items[:] = kept

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A suite that does not load (its module, or the scenario module it imports, has a
        syntax error or raises): a grader bug. Each of its tests, read from the suite's
        source, is an ``error`` of that exercise; the other exercises are graded as usual."""
        if not report.failed or not report.nodeid.endswith(".py"):
            return
        slug, tests = _tests_in(self.rootpath / report.nodeid)
        if slug not in self.exercises:
            self.unattributed.append(f"{report.nodeid}: {_last_error(str(report.longrepr))}")
            return
        why = _last_error(str(report.longrepr))
        if not tests:  # the suite itself does not parse: one error worth the whole exercise
            tests = [(f"test_{slug}", self.exercises[slug].points, True, [])]
        for name, points, hidden, hints in tests:
            if not self.runs(hidden):
                continue
            self.outcomes[f"{report.nodeid}::{name}"] = TestOutcome(
                slug=slug, name=name, points=points, hidden=hidden, hints=hints,
                reason=Reason.GRADER_FAULT,
                message=bound(f"internal grader error: the hidden tests of {slug} could not be "
                              f"loaded ({why}). This is a bug in aiograde, not in your code."))

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
            if report.failed:
                self._failed(outcome, item, report.when,
                             call.excinfo.value if call.excinfo else None)
        return report

    def _failed(self, outcome: TestOutcome, item: pytest.Item, when: str,
                exc: BaseException | None) -> None:
        """A phase of the test raised: its first failure is the test's verdict."""
        if not outcome.passed:
            return
        if isinstance(exc, GradingFailure):
            outcome.reason, outcome.where, outcome.timeline = exc.reason, exc.where, exc.timeline
            outcome.cause = exc.cause
            outcome.message = bound(exc.message)  # whatever the submission printed
        else:  # a bug in the grader, not in the submission: say so, never show its source
            outcome.reason = Reason.GRADER_FAULT
            detail = str(exc) if isinstance(exc, GraderFault) else type(exc).__name__
            outcome.message = bound(f"internal grader error in {item.name} ({when}): "
                                    f"{detail}. This is a bug in aiograde, not in your code.")

    def run_test(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """One test, as pytest's own protocol (``runtestprotocol``) runs it and this plugin's
        hooks record it, without the hooks around it: the grading processes' own test loops
        (``_suiterun.run_tests``, which applies the configuration's ``filterwarnings`` once)
        call this. Pytest makes three reports a test, each through every plugin's hooks, and
        nobody reads them (the report is ours, pytest's output a sink): that was nearly a
        third of a class grading process's CPU. A stop (SystemExit, as SIGTERM raises it in
        a grading, or KeyboardInterrupt) ends the loop instead of failing one test."""
        outcome = self.outcomes.get(item.nodeid)
        self.pytest_runtest_setup(item)
        # A test that asks for the student fixture alone (no other fixture, no autouse one,
        # no setup_module: pytest makes those fixtures too) needs none of pytest's set-up and
        # tear-down: the fixture's value is made here.
        alone = getattr(item, "fixturenames", None) == ["student"]
        failed = False
        # (pytest's outcomes are BaseExceptions: fail() fails a phase, skip() does not)
        caught = (Exception, pytest.fail.Exception)
        try:
            for when in ("setup", "call", "teardown"):
                if when == "call" and failed:
                    continue
                started = time.perf_counter()
                try:
                    if when == "setup" and alone:
                        setattr(item, "funcargs", {"student": self._student()})  # noqa: B010
                    elif when == "setup":
                        item.session._setupstate.setup(item)
                    elif when == "call":
                        item.runtest()
                    elif item.session._setupstate.stack:  # (what an earlier test set up)
                        item.session._setupstate.teardown_exact(nextitem)
                except pytest.skip.Exception:
                    failed = when == "setup"
                except caught as exc:
                    failed = True
                    if outcome is not None:
                        self._failed(outcome, item, when, exc)
                finally:
                    if outcome is not None:
                        outcome.seconds += time.perf_counter() - started
        finally:  # (as runtestprotocol: the test's fixtures' values go with it)
            setattr(item, "_request", False)  # noqa: B010 (a private attribute)
            setattr(item, "funcargs", None)  # noqa: B010
        self.pytest_runtest_logfinish(item.nodeid)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        outcome = self.outcomes.get(nodeid)
        if on_test_finished is not None and outcome is not None:
            on_test_finished(outcome)


def _last_error(longrepr: str) -> str:
    """The exception line of a failed collection (``SyntaxError: ...``), not the source."""
    found = re.findall(r"^E\s+(\w*(?:Error|Exception)\b.*)$", longrepr, re.MULTILINE)
    return found[-1].strip()[:200] if found else "it raised while importing"


def _literal(node: ast.expr | None, default: Any) -> Any:
    try:
        return default if node is None else ast.literal_eval(node)
    except ValueError:
        return default


def _tests_in(path: Path) -> tuple[str | None, list[tuple[str, int, bool, list[str]]]]:
    """A suite's SLUG and its ``@case`` tests (name, points, hidden, hints), read from its
    source without importing it; the slug from the file name if it does not parse."""
    slug = path.stem.removeprefix("test_")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return slug, []
    tests = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "SLUG" for t in node.targets):
            slug = str(_literal(node.value, slug))
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        for deco in node.decorator_list:  # @case(...) or @testing.case(...)
            if isinstance(deco, ast.Call) and "case" in (getattr(deco.func, "id", None),
                                                         getattr(deco.func, "attr", None)):
                kwargs = {k.arg: k.value for k in deco.keywords}
                points = _literal(kwargs.get("points", deco.args[0] if deco.args else None), 0)
                tests.append((node.name, int(points), bool(_literal(kwargs.get("hidden"), True)),
                              [str(h) for h in _literal(kwargs.get("hints"), ())]))
    return slug, tests


def suite_path(slug: str) -> Path:
    return Path(__file__).parent / "suites" / f"test_{slug}.py"
