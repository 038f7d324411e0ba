"""Run the hidden suites: the grader's own pytest, in the grader's own processes.

A submission's tests are shared out over a few grader processes forked after pytest's
collection (lanes; trusted: no student code runs in them); each sends its outcomes back
as one typed message.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from _pytest.config import apply_warning_filters  # (pytest's own, for filterwarnings)

from . import _manifest
from ._child.kit import REGISTRY
from ._plugin import GradingPlugin, Seen, TestOutcome, suite_path
from ._report import Finding
from ._sandbox import Sandbox, Zygote
from ._status import Reason
from ._submission import Problem

_INI = Path(__file__).with_name("pytest.ini")

SandboxFactory = Callable[[dict[str, Path]], Sandbox]


class SuitesFailed(Exception):
    """The suites themselves could not run: a bug in the grader, never the submission's."""


# Lanes (grader processes forked after collection, see _Lanes) share a submission's tests
# out by weight, longest first. A test of an exercise with real-clock scenarios (threads,
# processes) mostly waits, about this many times as long as a virtual-clock test runs.
REAL_CLOCK_WEIGHT = 6
# A real-clock exercise's tests go out in units of this many (in the suite's order), each
# unit with a worker of its own: smaller units wait side by side more, but import the
# student's module more often (a worker costs about 0.03 s of CPU, its confinement included).
REAL_CLOCK_TESTS_PER_UNIT = 4
# An exercise that ran out of real time in one of its units is graded again in one unit:
# its later tests then share what is left of its time, exactly as graded in one lane.
_OUT_OF_TIME = (Reason.TIME_LIMIT, Reason.CAUSED_BY)
_UNIT_BYTES = 2  # a unit's number in the lanes' queue


class LaneResult(msgspec.Struct, forbid_unknown_fields=True):
    """What one lane sends back: the outcomes of the tests it ran, by node id."""

    outcomes: dict[str, TestOutcome]
    # By unit number, so that they are merged in the units' order whichever lane ran them.
    findings: dict[int, dict[str, list[Finding]]]
    applied: list[str]
    missing: list[str]
    error: str | None = None


@dataclass
class SuiteRun:
    """Runs the suites of some exercises against one submission's modules."""

    exercises: dict[str, _manifest.Exercise]
    modules: dict[str, Path]
    problems: dict[str, Problem]
    make_sandbox: SandboxFactory
    visible_only: bool = False
    # A fork server with a socket for each lane (see _Lanes), or None.
    zygote: Zygote | None = None
    # Where a grading in a kept session starts in the list of exercises (see Collected.run).
    first: int = 0

    def run(self, slugs: list[str], lanes: int = 1) -> tuple[list[TestOutcome], Seen]:
        """Run the slugs' suites; with ``lanes`` > 1, their tests side by side in that many
        grader processes forked after collection (same outcomes, in the suites' order)."""
        modules = {s: p for s, p in self.modules.items() if s in slugs}
        if lanes > 1 and modules:
            plugin = GradingPlugin(self.exercises, None, self.problems,
                                   visible_only=self.visible_only)
            run_pytest(plugin, slugs, also=[_Lanes(self, plugin, lanes)])
            return list(plugin.outcomes.values()), plugin.seen
        sandbox = self.make_sandbox(modules) if modules else None
        plugin = GradingPlugin(self.exercises, sandbox, self.problems,
                               visible_only=self.visible_only)
        try:
            if COLLECTED:
                plugin = COLLECTED[0].run(plugin, slugs, self.first)
            else:
                run_pytest(plugin, slugs)
        finally:
            if sandbox is not None:
                sandbox.close()
        return list(plugin.outcomes.values()), plugin.seen


@dataclass
class Collected:
    """The hidden suites as a warm grader process (grader._gradeserver) collected them, once,
    in a pytest session it keeps open: a grading forked from it runs their tests in that
    session (fork after fork, each on a pristine copy) instead of starting pytest and
    collecting again. The same tests, in the same order, as ``run_pytest`` would run."""

    session: pytest.Session
    plugin: GradingPlugin  # the session's own: its hooks and ``student`` fixture are bound to it

    def run(self, plugin: GradingPlugin, slugs: list[str], first: int = 0) -> GradingPlugin:
        """Run the slugs' tests as ``plugin`` would have; the session's plugin, which now
        holds that grading's sandbox and outcomes, is returned.

        The exercises run one after another from the one at ``first`` (modulo their number),
        each exercise's tests in their order; the outcomes keep the suites' order. In a class,
        gradings side by side that all started with the same exercise would reach the
        real-clock ones together, and leave the cores idle while all of them wait."""
        ours = self.plugin
        if ours.unattributed:
            raise SuitesFailed(_UNATTRIBUTED + "; ".join(ours.unattributed))
        # What collection recorded (each test, and the errors of a suite that did not load),
        # for the slugs and visibility asked: what run_pytest's collection would record.
        wanted = {node: outcome for node, outcome in ours.outcomes.items()
                  if outcome.slug in slugs and plugin.runs(outcome.hidden)}
        ours.exercises, ours.sandbox, ours.problems = plugin.exercises, plugin.sandbox, \
            plugin.problems
        ours.visible_only, ours.seen, ours.outcomes = plugin.visible_only, plugin.seen, wanted
        items = [item for item in self.session.items if item.nodeid in wanted]
        order = list(dict.fromkeys(wanted[item.nodeid].slug for item in items))
        if order:
            rank = {slug: (i - first) % len(order) for i, slug in enumerate(order)}
            items.sort(key=lambda item: rank[wanted[item.nodeid].slug])  # (a stable sort)
        ours.pytest_collection_finish(self.session)
        run_tests(ours, items)
        return ours


def run_tests(plugin: GradingPlugin, items: list[pytest.Item]) -> None:
    """The tests, in order, each as pytest runs it (``GradingPlugin.run_test``), under the
    configuration's warning filters (``filterwarnings`` in grader/pytest.ini), which pytest
    would set anew around each test."""
    if not items:
        return
    config = items[0].config
    with warnings.catch_warnings():
        apply_warning_filters(config.getini("filterwarnings"),
                              config.known_args_namespace.pythonwarnings or [])
        for index, item in enumerate(items):
            plugin.run_test(item, items[index + 1] if index + 1 < len(items) else None)


# Set once by a warm grader process (grader._gradeserver), before it forks any grading.
COLLECTED: list[Collected] = []


def _real_clock(slug: str) -> bool:
    return any(spec.clock == "real" for name, spec in REGISTRY.items()
               if name.startswith(f"{slug}."))


class _Lanes:
    """The test loop of a grading in lanes: grader processes forked from this one once the
    suites are collected (no start-up of their own), each pulling units of work (one
    exercise, or a few tests of a real-clock one) from a shared queue, longest first, and
    running each unit with fresh workers of the submission's fork server.

    A unit always gets fresh workers, so what a test sees does not depend on which lane ran
    the unit or what ran before it there; the outcomes go back by node id, so the report
    keeps the suites' order."""

    def __init__(self, run: SuiteRun, plugin: GradingPlugin, lanes: int) -> None:
        self.run, self.plugin, self.lanes = run, plugin, lanes
        self.replacements: list[Zygote] = []  # fork servers a lane had to start itself

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.config.option.collectonly or not session.items:
            return None  # pytest's own loop: nothing to run
        units = self._units(session.items)
        pristine = {n: msgspec.structs.replace(o) for n, o in self.plugin.outcomes.items()}
        self._merge(self._run_lanes(units, pristine))
        # Graded in pieces but out of time: graded again in one piece (see _OUT_OF_TIME).
        split = Counter(self._slug(unit[0]) for unit in units)
        again = [[item for item in session.items if self._slug(item) == slug]
                 for slug in split if split[slug] > 1 and any(
                     o.reason in _OUT_OF_TIME for o in self.plugin.outcomes.values()
                     if o.slug == slug)]
        if again:
            self._merge(self._run_lanes(again, pristine))
        return True

    def _slug(self, item: pytest.Item) -> str:
        return self.plugin.outcomes[item.nodeid].slug

    def _units(self, items: list[pytest.Item]) -> list[list[pytest.Item]]:
        """Units of work, heaviest first (ties in the suites' order)."""
        by_slug: dict[str, list[pytest.Item]] = {}
        for item in items:
            by_slug.setdefault(self._slug(item), []).append(item)
        weighted = []
        for slug, tests in by_slug.items():
            if _real_clock(slug):
                size = REAL_CLOCK_TESTS_PER_UNIT
                weighted += [(REAL_CLOCK_WEIGHT * len(tests[i:i + size]), tests[i:i + size])
                             for i in range(0, len(tests), size)]
            else:
                weighted.append((len(tests), tests))
        weighted.sort(key=lambda pair: -pair[0])
        return [unit for _, unit in weighted]

    def _run_lanes(self, units: list[list[pytest.Item]],
                   pristine: dict[str, TestOutcome]) -> list[LaneResult]:
        lanes = max(1, min(self.lanes, len(units)))
        # The queue: a pipe holding each unit's number; a read of a pipe this small is
        # atomic, so each lane takes the next unit, and none is taken twice.
        queue_r, queue_w = os.pipe()
        os.write(queue_w, b"".join(n.to_bytes(_UNIT_BYTES, "big") for n in range(len(units))))
        os.close(queue_w)
        children = []
        try:
            for index in range(lanes):
                children.append(self._fork(index, queue_r, units, pristine))
        finally:
            os.close(queue_r)
        try:
            texts = []
            for pid, read_end in children:
                with os.fdopen(read_end, "rb") as pipe:
                    texts.append(pipe.read())
                os.waitpid(pid, 0)
        except BaseException:  # stopped: stop the lanes too, and let them clean up
            for pid, _ in children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
            raise
        results = []
        for text in texts:
            try:
                results.append(msgspec.json.decode(text, type=LaneResult))
            except msgspec.DecodeError:
                results.append(LaneResult({}, {}, [], [], "a grader process died"))
        return results

    def _merge(self, results: list[LaneResult]) -> None:
        errors = [r.error for r in results if r.error]
        if errors:
            raise SuitesFailed("; ".join(errors))
        for result in results:
            self.plugin.outcomes.update(result.outcomes)
            self.plugin.seen.sandbox_applied.update(result.applied)
            self.plugin.seen.sandbox_missing.update(result.missing)
        found = {n: by_slug for result in results for n, by_slug in result.findings.items()}
        for number in sorted(found):
            for slug, findings in found[number].items():
                self.plugin.seen.findings.setdefault(slug, []).extend(findings)

    def _fork(self, index: int, queue: int, units: list[list[pytest.Item]],
              pristine: dict[str, TestOutcome]) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write_end)
            return pid, read_end
        os.close(read_end)  # pragma: no cover - the lane
        done: dict[str, TestOutcome] = {}
        found: dict[int, dict[str, list[Finding]]] = {}
        self.plugin.seen = seen = Seen()
        try:
            zygote = self.run.zygote
            if zygote is not None and len(zygote.socks) > index:
                self.run.zygote = zygote.client(index)  # its own socket to the fork server
            while taken := os.read(queue, _UNIT_BYTES):
                number = int.from_bytes(taken, "big")
                unit = units[number]
                for item in unit:
                    self.plugin.outcomes[item.nodeid] = pristine[item.nodeid]
                self._run_unit(unit)
                done.update({item.nodeid: self.plugin.outcomes[item.nodeid] for item in unit})
                found[number], seen.findings = seen.findings, {}
            result = LaneResult(done, found, sorted(seen.sandbox_applied),
                                sorted(seen.sandbox_missing))
        except BaseException as exc:
            result = LaneResult({}, {}, [], [], f"{type(exc).__name__}: {exc}")
        for replacement in self.replacements:
            replacement.close()
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(msgspec.json.encode(result))
        os._exit(0)

    def _run_unit(self, unit: list[pytest.Item]) -> None:  # pragma: no cover - in a lane
        slug = self._slug(unit[0])
        modules = {slug: self.run.modules[slug]} if slug in self.run.modules else {}
        sandbox = self.plugin.sandbox = self.run.make_sandbox(modules) if modules else None
        try:
            if sandbox is not None:
                sandbox.start(list(modules))
            run_tests(self.plugin, unit)
        finally:
            self.plugin.sandbox = None
            if sandbox is not None:
                if sandbox.owns_zygote and self.run.zygote is not None:
                    # The fork server died (killed by a submission) and the sandbox started
                    # another: the lane's later units use that one, closed when the lane ends.
                    sandbox.owns_zygote = False
                    self.run.zygote = sandbox.zygote
                    self.replacements.append(sandbox.zygote)
                sandbox.close()


# pytest's built-in plugins the hidden suites never use, left out: each costs hook calls
# at every test. The grader's own unraisable exceptions (which pytest's plugins would turn
# into errors of every test after a gc.collect at the session's end) are nobody's grade.
_UNUSED_PLUGINS = ("logging", "unraisableexception", "threadexception", "junitxml", "doctest",
                   "pastebin", "stepwise", "setuponly", "setupplan", "capture", "skipping",
                   "unittest", "tmpdir")


def run_pytest(plugin: GradingPlugin, slugs: list[str], *,
               also: list[object] | None = None) -> None:
    """Run the slugs' suites with ``plugin`` (and the plugins ``also``, which may take over
    pytest's test loop: a warm grader process serves its gradings from there)."""
    args = [str(suite_path(s)) for s in slugs] + [
        "-c", str(_INI), "--rootdir", str(_INI.parent), "-q", "--assert=plain",
        # A failed test's verdict is the plugin's message; pytest's own long traceback (which
        # walks the source of every frame) is never shown, so make it the cheap native one.
        "--tb=native",
        # A suite that does not load is that exercise's error (see GradingPlugin), not the end.
        "--continue-on-collection-errors",
        "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:faulthandler",
        *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
    ]
    # The grader's own configuration only: no plugins or options from the environment.
    saved = {k: os.environ.pop(k, None) for k in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = pytest.main(args, plugins=[plugin, *(also or [])])
    finally:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                    pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SuitesFailed(f"the hidden suites could not run (pytest exit {code}):\n"
                           f"{sink.getvalue()[-3000:]}")
    if plugin.unattributed:
        raise SuitesFailed(_UNATTRIBUTED + "; ".join(plugin.unattributed))


_UNATTRIBUTED = "hidden suites that name no exercise failed to load: "
