"""The child's main loop: import one student module, then run scenarios on request.

Requests and answers are JSON lines on two pipes the parent owns. Student output
never reaches them: Python-level output is captured per scenario, and file
descriptors 1 and 2 point to a log file the parent reads only after a crash.
"""

from __future__ import annotations

import gc
import importlib.abc
import importlib.util
import os
import sys
from typing import Any

import msgspec

from grader._wire import (
    Answer,
    ExceptionInfo,
    Hello,
    Location,
    RuntimeFinding,
    SandboxReport,
    decode_request,
    encode,
)

from . import instruments, kit, plain, tamper

# Nothing of the grader, its tests or the reference code is importable from a submission.
BLOCKED_IMPORTS = ("grader", "solutions", "exercises", "checks", "tests", "pytest", "_pytest",
                   "pluggy", "looptime", "blockbuster")


class _RefuseImports(importlib.abc.MetaPathFinder):
    def __init__(self, slug: str, submitted: list[str]) -> None:
        self.slug, self.submitted = slug, set(submitted)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.split(".")[0]
        if top in BLOCKED_IMPORTS:
            raise ImportError(f"'{name}' is part of the grader and cannot be imported by a submission")
        if top in self.submitted:
            raise ImportError(f"'{top}.py' is not graded: only the exercise modules are, each on its "
                              f"own. Keep the code {self.slug}.py needs inside {self.slug}.py.")
        return None


def hide_grader(slug: str, submitted: list[str]) -> None:
    """Drop the grader's modules from the import system before student code runs."""
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_IMPORTS:
            del sys.modules[name]  # the scenario functions keep their own references
    sys.meta_path.insert(0, _RefuseImports(slug, submitted))


def load_student_module(slug: str, path: str) -> tuple[Any, ExceptionInfo | None]:
    plain.STUDENT_FILES.add(path)
    spec = importlib.util.spec_from_file_location(slug, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[slug] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SyntaxError, SystemExit, anything: report it, never die of it
        info = plain.describe_exception(exc)
        if isinstance(exc, SyntaxError):
            info = msgspec.structs.replace(info, where=Location(
                os.path.basename(path), exc.lineno, "<module>", (exc.text or "").strip()[:200]))
        return None, info
    return module, None


def prepare() -> None:
    """Instruments go in before any student code exists in the process."""
    import grader.scenarios  # noqa: F401  (registers every scenario)

    instruments.activate_blockbuster()
    instruments.monitor.install()
    tamper.snapshot_stdlib()
    tamper.install_audit_hook()
    # Everything loaded so far lives as long as the process: keep it out of the collections
    # each scenario runs (and out of the pages forked workers would otherwise copy).
    gc.collect()
    gc.freeze()


def _findings() -> list[RuntimeFinding]:
    return [RuntimeFinding(str(f["kind"]), str(f["message"]), str(f["file"]), f["line"])
            for f in tamper.drain()]


def serve(slug: str, path: str, requests_fd: int, answers_fd: int,
          confinement: SandboxReport | None, submitted: list[str]) -> None:
    instruments.monitor.start_watchdog()
    answers = os.fdopen(answers_fd, "wb", buffering=0)
    requests = os.fdopen(requests_fd, "rb")
    hide_grader(slug, submitted)
    tamper.SCRATCH.append(os.getcwd())
    module, import_error = load_student_module(slug, path)
    answers.write(encode(Hello(import_error, confinement, _findings())))
    for line in requests:
        request = decode_request(line)
        if module is None:  # the parent knows from Hello; it asks nothing more
            break
        observation = kit.execute(module, request.scenario, request.args)
        answers.write(encode(Answer(request.id, observation, _findings())))
