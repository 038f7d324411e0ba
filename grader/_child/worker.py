"""The child's main loop: import one student module, then run scenarios on request.

Requests and answers are JSON lines on two pipes the parent owns. Student output
never reaches them: Python-level output is captured per scenario, and file
descriptors 1 and 2 point to a log file the parent reads only after a crash.
"""

from __future__ import annotations

import asyncio
import builtins
import gc
import importlib.abc
import importlib.util
import os
import sys
from asyncio import events
from typing import Any

import blockbuster.blockbuster as bbmod
import looptime
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

from . import instruments, kit, plain, sentinel, tamper

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


# The code the grader measures with: its calls alone may arm and seal the sentinel, and a
# submission reading its frames or code is tampering.
TRUSTED = tuple(os.path.dirname(str(m.__file__)) + os.sep for m in (
    sys.modules["grader"], bbmod, looptime))


def sentinel_watch() -> tuple[sentinel.Watched, sentinel.Watched]:
    """What the sentinel compares at every seal: the instruments (hot: also every
    CHECK_EVERY while student code runs) and the rest (cold)."""
    if not WATCHED:  # the same in every worker (forked from the fork server): made once
        hot, cold = _watched_entries()
        WATCHED[:] = [sentinel.bundle(hot), sentinel.bundle(cold)]
    # What they hold now, in this worker (set up since the fork, or renewed by fork
    # handlers like threading's locks): that is what must not change from here on.
    return sentinel.renew(WATCHED[0]), sentinel.renew(WATCHED[1])


def _watched_entries() -> tuple[list[sentinel.Entry], list[sentinel.Entry]]:
    def loaded(tops: tuple[str, ...]) -> list[Any]:
        return [m for name, m in sorted(sys.modules.items())
                if name.split(".")[0] in tops and m is not None]

    ours = loaded(("grader", "blockbuster", "looptime"))
    # Hot: what decides a measurement on every step; the rest of ours is checked at seals.
    instruments_modules = [m for m in ours if m.__name__.startswith(HOT_MODULES)]
    bb = instruments._blockbuster
    assert bb is not None
    wrapped = [(f.full_name, f.module, f.func_name) for f in bb.functions.values()]
    # The loop classes looptime makes on first use (made in prepare), by their attributes.
    loop_classes = list(getattr(sys.modules.get("looptime._internal.patchers"), "_class_cache",
                                {}).values())
    hot = sentinel.snapshot(
        instruments_modules, [instruments.monitor, bb, *loop_classes],
        [*wrapped, *((f"sys.{n}", sys, n) for n in SYS_GUARDED),
         *((f"builtins.{n}", builtins, n) for n in BUILTINS_GUARDED),
         ("asyncio.events.Handle._run", events.Handle, "_run")])
    # blockbuster's rules (its allow-lists): a blocking call they would let through is
    # still seen by its effect, so they are compared at the seals only
    cold = sentinel.snapshot([m for m in ours if not m.__name__.startswith(HOT_MODULES)],
                             list(bb.functions.values()), [])
    # The standard library the scenarios and the loop run on: the modules of the loop,
    # tasks, time, threads, sockets and processes at every look, the rest at the seals (a
    # replaced function is patches-stdlib: tampering at run time)
    stdlib = loaded(STDLIB_GUARDED)
    hot += sentinel.snapshot([m for m in stdlib if m.__name__ in STDLIB_HOT], [], [],
                             deep=False, kind=sentinel.PATCHES)
    cold += sentinel.snapshot([m for m in stdlib if m.__name__ not in STDLIB_HOT], [], [],
                              deep=False, kind=sentinel.PATCHES)
    return hot, cold


WATCHED: list[sentinel.Watched] = []  # (hot, cold), made once in the fork server
TRUST = [True]  # set by prepare, from the parent's order; read by serve before student code


HOT_MODULES = ("grader._child", "blockbuster.blockbuster", "looptime._internal.loops")
BUILTINS_GUARDED = ("id", "type", "isinstance", "issubclass", "len", "getattr", "setattr",
                    "hasattr", "open", "print", "repr", "str", "__import__", "BaseException",
                    "Exception", "NotImplementedError", "ValueError", "TypeError",
                    "TimeoutError", "KeyError", "RuntimeError", "StopIteration",
                    "StopAsyncIteration")
SYS_GUARDED = ("audit", "addaudithook", "_getframe", "settrace", "setprofile", "exc_info",
               "set_coroutine_origin_tracking_depth")
STDLIB_GUARDED = ("asyncio", "concurrent", "time", "select", "selectors", "socket", "threading",
                  "_thread", "json", "contextlib", "weakref", "io", "_asyncio", "subprocess",
                  "gc")
STDLIB_HOT = ("asyncio", "asyncio.base_events", "asyncio.events", "asyncio.tasks", "time",
              "threading", "socket", "subprocess", "gc")


def prepare(trust: bool = True) -> None:
    """Instruments go in before any student code exists in the process. ``trust``: with the
    trust instruments (the audit hooks, the sentinel, blocking by effect); False only when
    the parent says so, for ``bench/bench_trust.py`` to measure what they cost."""
    import grader.scenarios  # noqa: F401  (registers every scenario)

    TRUST[:] = [trust]
    instruments.activate_blockbuster()
    instruments.monitor.install(effects=trust)
    tamper.TRUSTED[:] = TRUSTED
    instruments.monitor.active = True  # no loop runs outside a scenario: always on
    looptime.new_event_loop().close()  # fills looptime's class cache before the snapshot
    asyncio.get_event_loop_policy()  # made now, not lazily while the sentinel watches
    if trust:
        sentinel_watch()  # the snapshot's entries, once, before the workers are forked
    # Everything loaded so far lives as long as the process: keep it out of the collections
    # each scenario runs (and out of the pages forked workers would otherwise copy).
    gc.collect()
    gc.freeze()


def _typed(findings: list[dict[str, Any]]) -> list[RuntimeFinding]:
    """The sentinel's findings (plain dicts, kept out of the submission's reach) as sent."""
    return [RuntimeFinding(str(f["kind"]), str(f["message"]), str(f["file"]),
                           f["line"] if isinstance(f["line"], int) else None)
            for f in findings]


def serve(slug: str, path: str, requests_fd: int, answers_fd: int,
          confinement: SandboxReport | None, submitted: list[str]) -> None:
    # The audit hooks, in the worker only: the fork server never runs student code, and its
    # own work (reading /proc for its workers' processes) would pay for them at every open.
    trust = TRUST[0]
    if trust:
        tamper.install_audit_hook()
        sentinel.install((kit.Tracker.enter.__code__, kit.Tracker.leave.__code__), TRUSTED)
    # trust: what this loop calls is bound here, before student code exists; a submission
    # can rebind the modules' names, not these locals (see sentinel.py)
    audit, execute, write, collect, freeze = sys.audit, kit.execute, encode, gc.collect, gc.freeze
    decode, typed, hello, answer = decode_request, _typed, Hello, Answer
    instruments.monitor.start_watchdog()
    answers = os.fdopen(answers_fd, "wb", buffering=0)
    requests = os.fdopen(requests_fd, "rb")
    tamper.SCRATCH.append(os.getcwd())
    asyncio.get_event_loop_policy()  # made now, not lazily while the sentinel watches
    plain.STUDENT_FILES.add(path)
    if trust:
        audit("aiograde.arm", *sentinel_watch(), os.path.basename(path))  # before hide_grader
    hide_grader(slug, submitted or [])
    module, import_error = load_student_module(slug, path)
    # What exists now lives as long as the worker: out of the collection each scenario
    # ends with (kit.execute), which then walks that scenario's objects alone.
    collect()
    freeze()
    found: list[dict[str, Any]] = []
    audit("aiograde.seal", found, {})
    answers.write(write(hello(import_error, confinement, typed(found))))
    for line in requests:
        request = decode(line)
        if module is None:  # the parent knows from Hello; it asks nothing more
            break
        # trust: the request id lives in the sentinel alone while student code runs
        scenario, args = request.scenario, request.args
        audit("aiograde.stash", request.id)
        sealed: dict[str, Any] = {} if trust else {"id": request.id}  # (no sentinel to hold it)
        del line, request
        observation = execute(module, scenario, args)
        found = []
        audit("aiograde.seal", found, sealed)  # also hands back the id
        answers.write(write(answer(str(sealed.pop("id", "")), observation, typed(found))))
