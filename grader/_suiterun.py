"""Run the hidden suites: the grader's own pytest, in the grader's own processes.

A submission's exercises are shared out over a few forked grader processes (trusted:
no student code runs in them); each sends its outcomes back as one typed message.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest

from . import _manifest
from ._plugin import GradingPlugin, Seen, TestOutcome, suite_path
from ._report import Finding
from ._sandbox import Sandbox, Zygote
from ._submission import Problem

_INI = Path(__file__).with_name("pytest.ini")

SandboxFactory = Callable[[dict[str, Path]], Sandbox]


class SuitesFailed(Exception):
    """The suites themselves could not run: a bug in the grader, never the submission's."""


class GroupResult(msgspec.Struct, forbid_unknown_fields=True):
    """What one grader process sends back."""

    outcomes: list[TestOutcome]
    findings: dict[str, list[Finding]]
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
    # A fork server with a socket for each grader process (see run_in_parallel), or None.
    zygote: Zygote | None = None

    def run(self, slugs: list[str]) -> tuple[list[TestOutcome], Seen]:
        modules = {s: p for s, p in self.modules.items() if s in slugs}
        sandbox = self.make_sandbox(modules) if modules else None
        plugin = GradingPlugin(self.exercises, sandbox, self.problems,
                               visible_only=self.visible_only)
        try:
            run_pytest(plugin, slugs)
        finally:
            if sandbox is not None:
                sandbox.close()
        return list(plugin.outcomes.values()), plugin.seen

    def run_in_parallel(self, slugs: list[str], parallel: int) -> tuple[list[TestOutcome], Seen]:
        """Fork ``parallel`` grader processes for groups of exercises."""
        groups = [g for g in (slugs[i::parallel] for i in range(max(1, parallel))) if g]
        if len(groups) == 1:
            return self.run(slugs)
        children = [self._fork(group, index) for index, group in enumerate(groups)]
        try:
            texts = []
            for pid, read_end in children:
                with os.fdopen(read_end, "rb") as pipe:
                    texts.append(pipe.read())
                os.waitpid(pid, 0)
        except BaseException:  # stopped: stop the group processes too, and let them clean up
            for pid, _ in children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
            raise
        outcomes: list[TestOutcome] = []
        seen = Seen()
        errors = []
        for text in texts:
            try:
                result = msgspec.json.decode(text, type=GroupResult)
            except msgspec.DecodeError:
                errors.append("a grader process died")
                continue
            if result.error:
                errors.append(result.error)
            outcomes += result.outcomes
            seen.merge(_seen_of(result))
        if errors:
            raise SuitesFailed("; ".join(errors))
        return outcomes, seen

    def _fork(self, group: list[str], index: int) -> tuple[int, int]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid:
            os.close(write_end)
            return pid, read_end
        os.close(read_end)  # pragma: no cover - the forked grader process
        try:
            if self.zygote is not None and len(self.zygote.socks) > index:
                self.zygote = self.zygote.client(index)  # its own socket to the fork server
            outcomes, seen = self.run(group)
            result = GroupResult(outcomes, seen.findings, sorted(seen.sandbox_applied),
                                 sorted(seen.sandbox_missing))
        except BaseException as exc:
            result = GroupResult([], {}, [], [], f"{type(exc).__name__}: {exc}")
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(msgspec.json.encode(result))
        os._exit(0)


def _seen_of(result: GroupResult) -> Seen:
    seen = Seen()
    seen.findings = {slug: list(found) for slug, found in result.findings.items()}
    seen.sandbox_applied, seen.sandbox_missing = set(result.applied), set(result.missing)
    return seen


def run_pytest(plugin: GradingPlugin, slugs: list[str], *, collect_only: bool = False) -> None:
    """Run the slugs' suites with ``plugin``; ``collect_only`` imports and collects them
    (a warm grader process does so once, and every grading it forks reuses the modules)."""
    args = ["--collect-only"] * collect_only + [str(suite_path(s)) for s in slugs] + [
        "-c", str(_INI), "--rootdir", str(_INI.parent), "-q", "-s", "--assert=plain",
        # A failed test's verdict is the plugin's message; pytest's own long traceback (which
        # walks the source of every frame) is never shown, so make it the cheap native one.
        "--tb=native",
        # A suite that does not load is that exercise's error (see GradingPlugin), not the end.
        "--continue-on-collection-errors",
        "--import-mode=importlib", "-p", "no:cacheprovider", "-p", "no:faulthandler",
    ]
    # The grader's own configuration only: no plugins or options from the environment.
    saved = {k: os.environ.pop(k, None) for k in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            code = pytest.main(args, plugins=[plugin])
    finally:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED,
                    pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SuitesFailed(f"the hidden suites could not run (pytest exit {code}):\n"
                           f"{sink.getvalue()[-3000:]}")
    if plugin.unattributed:
        raise SuitesFailed("hidden suites that name no exercise failed to load: "
                           + "; ".join(plugin.unattributed))
