"""Grade one submission: read it, run the hidden suites against it, score the outcomes."""

from __future__ import annotations

import os
import tempfile
import time
import zlib
from pathlib import Path

from . import _manifest, _submission
from ._bounds import bound_report
from ._cleanup import remove_tree
from ._errors import SubmissionError
from ._options import DEFAULT_PARALLEL, TAMPER_POLICIES
from ._report import Report
from ._sandbox import Sandbox, Zygote
from ._scoring import build_report
from ._suiterun import SandboxFactory, SuiteRun
from ._tamper import classify, scan_folder

__all__ = ["DEFAULT_PARALLEL", "TAMPER_POLICIES", "grade"]


def grade(path: str | os.PathLike[str], *, only: list[str] | None = None,
          visible_only: bool = False, tamper: str = "tampering", hide: list[Path] | None = None,
          parallel: int = DEFAULT_PARALLEL, sandbox: SandboxFactory | None = None,
          zygote: Zygote | None = None) -> Report:
    """Grade the submission at ``path`` and return the report.

    ``only`` names the exercises to grade (default: all). ``visible_only`` runs only the
    tests students see (``@case(hidden=False)``): what ``aiograde check`` runs. ``tamper``
    is the policy for findings: ``"tampering"`` (the default) zeroes an exercise with a
    finding of tampering and flags the rest for review, ``"flag"`` only flags, ``"zero"``
    zeroes every flagged exercise. ``hide`` names folders the child must not see besides the submission's own
    (a class grading hides the whole class, so no student reads another's work).
    ``parallel`` grader processes (lanes, forked once the suites are collected) share the
    tests out (the real-clock ones mostly wait). ``sandbox`` makes the sandbox for a set of
    modules (default: the real one; the benchmarks pass an in-process stand-in to measure
    what isolation costs). ``zygote`` is
    a running fork server to spawn the workers from, with a socket for each lane (a class
    grading's warm grader process shares one between its students, one at a time; the
    command starts one before it imports the grading machinery); by default the grading
    starts its own.
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

    # Removed whatever a submission left in it (deep, unreadable, linked): never a traceback.
    private = tempfile.mkdtemp(prefix="aiograde-")
    try:
        found = _submission.read(Path(path), slugs, Path(private))
        hidden = [found.folder.resolve(), *(hide or [])]

        def real_sandbox(modules: dict[str, Path]) -> Sandbox:
            return Sandbox(modules, hide=hidden, submitted=found.others, zygote=run.zygote)

        run = SuiteRun({e.slug: e for e in exercises}, found.modules, found.problems,
                       sandbox or real_sandbox, visible_only,
                       # (a start of its own for each student: by the folder's name)
                       first=zlib.crc32(Path(path).resolve().name.encode()))
        # One fork server for the whole submission, each grader process on its own socket.
        own = None
        if zygote is not None and zygote.serves(parallel):
            run.zygote = zygote
        elif sandbox is None and found.modules:
            run.zygote = own = Zygote(clients=max(1, parallel))
        try:
            outcomes, seen = run.run(slugs, lanes=parallel)
        finally:
            if own is not None:
                own.close()
    finally:
        remove_tree(private)

    findings = found.findings
    for slug, extra in seen.findings.items():
        findings.setdefault(slug, []).extend(extra)
    report = build_report(str(path), exercises, outcomes, found.problems, findings, tamper,
                          time.monotonic() - started)
    report.sandbox = {"applied": sorted(seen.sandbox_applied),
                      "missing": sorted(seen.sandbox_missing)}
    report.findings = [classify(f) for f in scan_folder(found.folder)]
    report.flagged = report.flagged or bool(report.findings)
    return bound_report(report)  # trust: the one place a report's size is bounded
