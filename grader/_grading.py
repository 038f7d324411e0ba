"""Grade one submission: find its modules, copy them aside, run the hidden suites.

The submission folder is read for exactly the expected ``<slug>.py`` files, which
are copied into a private folder; nothing else in it (``conftest.py``,
``pytest.ini``, ``.pth`` files, symbolic links) is ever read or run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import stat
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from . import __version__, _manifest
from ._bounds import bound_report, cap_findings
from ._cleanup import remove_tree
from ._errors import SubmissionError
from ._inprocess import InProcessSandbox
from ._plugin import GradingPlugin, Seen, TestOutcome, suite_path
from ._report import ExerciseResult, Finding, Report, TestResult
from ._sandbox import Sandbox
from ._tamper import classify, scan, scan_folder

MAX_MODULE_BYTES = 256 * 1024
_INI = Path(__file__).with_name("pytest.ini")


def _exercise_folder(path: Path, slugs: list[str]) -> Path:
    if not path.exists():
        raise SubmissionError(f"{path} does not exist. Give the folder that holds the exercise "
                              "modules (coroutines.py, gathering.py, ...) or a checkout with an "
                              "exercises/ folder.")
    if not path.is_dir():
        raise SubmissionError(f"{path} is not a folder. Give the folder that holds the exercise "
                              "modules, not a single file.")
    if not any((path / f"{s}.py").exists() for s in slugs) and (path / "exercises").is_dir():
        return path / "exercises"
    return path


def _read_module(source: Path) -> tuple[bytes | None, str | None]:
    """The module's bytes, or why it can't be graded. Never follows a link."""
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return None, (f"{source.name} was not found in the submission ({source.parent}). "
                      f"Start from exercises/{source.name}.")
    if stat.S_ISLNK(info.st_mode):
        return None, (f"{source.name} is a symbolic link; the grader refuses links. "
                      "Submit the file itself.")
    if not stat.S_ISREG(info.st_mode):
        return None, f"{source.name} is not a regular file."
    if info.st_size > MAX_MODULE_BYTES:
        return None, (f"{source.name} is {info.st_size} bytes; the grader accepts modules up "
                      f"to {MAX_MODULE_BYTES} bytes.")
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read(MAX_MODULE_BYTES + 1), None


TAMPER_POLICIES = ("tampering", "flag", "zero")


def grade(path: str | os.PathLike[str], *, only: list[str] | None = None,
          isolation: str = "sandbox", tamper: str = "tampering",
          hide: list[Path] | None = None, parallel: int = 3) -> Report:
    """Grade the submission at ``path`` and return the report.

    ``isolation="none"`` imports student code into this process: only for measuring
    what the sandbox costs (``bench/``), never for untrusted code. ``tamper`` is the
    policy for findings: ``"tampering"`` (the default) zeroes an exercise with a finding
    of tampering and flags the rest for review, ``"flag"`` only flags, ``"zero"`` zeroes
    every flagged exercise.
    ``hide`` names folders the child must not see besides the submission's own (a class
    grading hides the whole class, so no student reads another's work). ``parallel``
    grader processes share the exercises out (the real-clock suites mostly wait).
    Raises :class:`SubmissionError` when there is nothing gradable at ``path``.
    """
    started = time.monotonic()
    if tamper not in TAMPER_POLICIES:
        raise SubmissionError(f"unknown tamper policy {tamper!r}; use one of {TAMPER_POLICIES}")
    exercises = _manifest.load()
    if only:
        unknown = sorted(set(only) - {e.slug for e in exercises})
        if unknown:
            raise SubmissionError(f"unknown exercise(s) {unknown}; known: "
                                  f"{', '.join(e.slug for e in exercises)}")
        exercises = [e for e in exercises if e.slug in only]
    slugs = [e.slug for e in exercises]
    folder = _exercise_folder(Path(path), slugs)

    # Removed whatever a submission left in it (deep, unreadable, linked): never a traceback.
    private = tempfile.mkdtemp(prefix="aiograde-")
    try:
        modules: dict[str, Path] = {}
        problems: dict[str, str] = {}
        findings: dict[str, list[Finding]] = {}
        for slug in slugs:
            content, problem = _read_module(folder / f"{slug}.py")
            if problem:
                problems[slug] = problem
                continue
            copy = Path(private) / f"{slug}.py"
            copy.write_bytes(content or b"")
            findings[slug] = scan(copy.name, content or b"")
            copy.chmod(0o444)  # readable by the unprivileged worker, writable by nobody
            modules[slug] = copy
        os.chmod(private, 0o711)  # workers may open the files they are told of, not list them
        if not modules and all("was not found" in p for p in problems.values()):
            raise SubmissionError(f"no exercise module found in {folder}: expected files named "
                                  f"like {slugs[0]}.py (or a checkout with an exercises/ folder).")
        others = [p.stem for p in folder.glob("*.py") if p.stem.isidentifier()]
        group = _Group({e.slug: e for e in exercises}, modules, problems, isolation,
                       hide=[folder.resolve(), *(hide or [])], submitted=others)
        outcomes, seen = group.run_in_parallel(slugs, parallel)

    finally:
        remove_tree(private)

    for slug, found in seen.findings.items():
        findings.setdefault(slug, []).extend(found)
    report = _build_report(str(path), exercises, outcomes, problems, findings, tamper,
                           time.monotonic() - started)
    report.sandbox = {"applied": sorted(seen.sandbox_applied),
                      "missing": sorted(seen.sandbox_missing)}
    report.findings = [classify(f) for f in scan_folder(folder)]
    report.flagged = report.flagged or bool(report.findings)
    return bound_report(report)  # trust: the one place a report's size is bounded


class _Group:
    """Runs the suites of some exercises against one submission; several side by side."""

    def __init__(self, exercises: dict[str, _manifest.Exercise], modules: dict[str, Path],
                 problems: dict[str, str], isolation: str, *, hide: list[Path],
                 submitted: list[str]) -> None:
        self.exercises, self.modules, self.problems = exercises, modules, problems
        self.isolation, self.hide, self.submitted = isolation, hide, submitted

    def run(self, slugs: list[str]) -> tuple[list[TestOutcome], Seen]:
        modules = {s: p for s, p in self.modules.items() if s in slugs}
        sandbox: Sandbox | InProcessSandbox | None = None
        if modules:
            sandbox = (Sandbox(modules, hide=self.hide, submitted=self.submitted)
                       if self.isolation == "sandbox" else InProcessSandbox(modules))
        plugin = GradingPlugin(self.exercises, sandbox, self.problems)
        try:
            _run_suites(plugin, slugs)
        finally:
            if sandbox:
                sandbox.close()
        return list(plugin.outcomes.values()), plugin.seen

    def run_in_parallel(self, slugs: list[str], parallel: int) -> tuple[list[TestOutcome], Seen]:
        """Fork grader processes (trusted: no student code runs in them) for groups of
        exercises; each sends back its outcomes as JSON."""
        groups = [g for g in (slugs[i::parallel] for i in range(max(1, parallel))) if g]
        if len(groups) == 1 or self.isolation != "sandbox":
            return self.run(slugs)
        children = []
        for group in groups:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the forked grader process
                os.close(read_end)
                try:
                    outcomes, seen = self.run(group)
                    payload = {"outcomes": [asdict(o) for o in outcomes], "seen": seen.to_dict()}
                except BaseException as exc:
                    payload = {"error": f"{type(exc).__name__}: {exc}"}
                with os.fdopen(write_end, "w") as pipe:
                    json.dump(payload, pipe)
                os._exit(0)
            os.close(write_end)
            children.append((pid, read_end))
        outcomes: list[TestOutcome] = []
        seen = Seen()
        errors = []
        try:
            texts = []
            for pid, read_end in children:
                with os.fdopen(read_end) as pipe:
                    texts.append(pipe.read())
                os.waitpid(pid, 0)
        except BaseException:  # stopped: stop the group processes too, and let them clean up
            for pid, _ in children:
                try:
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
            raise
        for text in texts:
            payload = json.loads(text) if text else {"error": "a grader process died"}
            if "error" in payload:
                errors.append(payload["error"])
                continue
            outcomes += [TestOutcome(**o) for o in payload["outcomes"]]
            seen.merge(payload["seen"])
        if errors:
            raise RuntimeError("; ".join(errors))
        return outcomes, seen


def _run_suites(plugin: GradingPlugin, slugs: list[str]) -> None:
    args = [str(suite_path(s)) for s in slugs] + [
        "-c", str(_INI), "--rootdir", str(_INI.parent), "-q", "-s", "--assert=plain",
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
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden suites could not run (pytest exit {code}):\n"
                           f"{sink.getvalue()[-3000:]}")


def _unique(found: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, int | str | None], Finding] = {}
    for finding in found:
        line = finding.line if finding.line is not None else finding.message
        seen.setdefault((finding.kind, finding.file, line), finding)
    return list(seen.values())


def _build_report(submission: str, exercises: list[_manifest.Exercise],
                  outcomes: list[TestOutcome], problems: dict[str, str],
                  findings: dict[str, list[Finding]], tamper: str,
                  duration: float) -> Report:
    results = []
    for ex in exercises:
        tests = [
            TestResult(o.name, o.points if o.passed else 0, o.points,
                       "passed" if o.passed else "error" if o.internal_error else "failed",
                       o.message, o.hidden, round(o.seconds, 3))
            for o in outcomes if o.slug == ex.slug
        ]
        total = sum(t.max_score for t in tests)
        # Test points are scaled to the manifest's points, which are the authority.
        earned = sum(t.score for t in tests)
        score = round(ex.points * earned / total) if total else 0
        problem = problems.get(ex.slug, "")
        import_failed = any("could not be imported" in t.message for t in tests)
        if problem and "was not found" in problem:
            status = "missing"
        elif problem or import_failed:
            status = "error"
        else:
            status = "passed" if score == ex.points else "partial" if score else "failed"
        flags = cap_findings([classify(f) for f in _unique(findings.get(ex.slug, []))])
        tampered = [f for f in flags if f.severity == "tampering"]
        if score and ((flags and tamper == "zero") or (tampered and tamper == "tampering")):
            score, status = 0, "failed"
            problem = problem or (
                f"scored 0: {tampered[0].kind} ({tampered[0].why})" if tampered and
                tamper == "tampering" else "scored 0: the tamper report flagged this exercise "
                "and the instructor's policy is to zero flagged exercises")
        results.append(ExerciseResult(ex.slug, ex.title, score, ex.points, status, tests,
                                      list(ex.hints), ex.docs, problem, flags))
    return Report(submission, sum(r.score for r in results), sum(r.max_score for r in results),
                  results, __version__, round(duration, 3),
                  flagged=any(r.findings for r in results), tamper_policy=tamper)
