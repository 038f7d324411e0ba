"""The course's pytest plugin for the public checks: what the grader catches, caught here too.

- **Blocking calls.** blockbuster is activated before any exercise module is imported (so
  ``from time import sleep`` is caught too), and every blocking call the exercise makes on
  the event loop's thread is recorded, even when the code swallows the error.
- **Leftovers.** After each async check: tasks still running, delayed calls still
  scheduled, coroutines never awaited, and threads still running (a private pool never
  shut down).
- **Messages, not internals.** A failing check prints the grader's one-line teaching
  message (``grader/teaching.py``) or the check's own, with the line of the exercise it
  points at: no pytest traceback, no asyncio log (``--tb=long`` brings them back).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import linecache
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import blockbuster.blockbuster as bbmod
import pytest

from grader import teaching

# Threads that are not the exercise's: asyncio's default pool (closed with the loop) and
# pytest's own helpers.
OWN_THREADS = ("asyncio_", "asyncio-waitpid")
THREAD_GRACE_SECONDS = 1.0
TASK_GRACE_SECONDS = 0.5
# A check that runs longer than this on the loop's clock is stuck (checks on the virtual
# clock jump through time; pytest-timeout bounds the real one).
LOOP_LIMIT_SECONDS = 3600.0  # a pool shutting down may need a moment to let its threads go

_blocking: list[dict[str, Any]] = []


def _package() -> str:
    return os.environ.get("AIOGRADE_TARGET", "exercises")


def _is_exercise(filename: str) -> bool:
    return Path(filename).parent.name == _package().rsplit(".", 1)[-1]


def _where(frame: Any) -> dict[str, Any] | None:
    """The innermost frame of the exercise's module on a stack."""
    while frame is not None:
        code = frame.f_code
        if _is_exercise(code.co_filename):
            return {"file": Path(code.co_filename).name, "line": frame.f_lineno,
                    "function": code.co_name,
                    "code": linecache.getline(code.co_filename, frame.f_lineno).strip()}
        frame = frame.f_back
    return None


class RecordingBlockingError(bbmod.BlockingError):
    """Raised by blockbuster's wrappers; records itself so ``except Exception`` can't hide it."""

    def __init__(self, func: str) -> None:
        super().__init__(func)
        where = _where(sys._getframe(1))
        if where is not None:  # the exercise's call, not the check's own helpers
            _blocking.append({"call": func, "where": where})


def pytest_configure(config: pytest.Config) -> None:
    bbmod.BlockingError = RecordingBlockingError  # the wrappers look the name up when they raise
    try:  # only calls made with the exercise's code on the stack, not the checks' helpers
        buster = bbmod.BlockBuster(scanned_modules=[_package()])
    except ImportError:
        buster = bbmod.BlockBuster()
    # A log record from a coroutine is not the exercise blocking.
    for name in ("io.TextIOWrapper.write", "io.BufferedWriter.write"):
        buster.functions[name].can_block_in("logging/__init__.py", {"emit", "flush"})
    buster.activate()  # before the checks import the exercises
    config.stash[_BUSTER] = buster
    # Where a coroutine that was never awaited was created: the warning names the line.
    sys.set_coroutine_origin_tracking_depth(8)
    # What the garbage collector finds later (a Popen a blocking call left half done, a
    # coroutine of a check that already failed) lands on whichever test runs then, as pytest
    # internals: leftovers are judged right after each check instead, where they belong.
    config.addinivalue_line("filterwarnings", "ignore::pytest.PytestUnraisableExceptionWarning")


_BUSTER = pytest.StashKey[bbmod.BlockBuster]()


def pytest_unconfigure(config: pytest.Config) -> None:
    buster = config.stash.get(_BUSTER, None)
    if buster is not None:
        buster.deactivate()


class Leftover(Exception):
    """What an async check left behind, said as the grader says it."""


def _call(item: pytest.Item) -> str:
    return f"the check `{item.name.removeprefix('test_').replace('_', ' ')}`"


def _watched(fn: Any, call: str) -> Any:
    """The async check, followed by a look at what it left on the loop."""

    @functools.wraps(fn)
    async def check(*args: Any, **kwargs: Any) -> None:
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        tasks_before = asyncio.all_tasks()
        timers_before = set(getattr(loop, "_scheduled", []))
        problem = None
        try:
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always", RuntimeWarning)
                try:
                    async with asyncio.timeout(LOOP_LIMIT_SECONDS) as limit:
                        await fn(*args, **kwargs)
                except TimeoutError:
                    if not limit.expired():
                        raise
                    problem = teaching.never_finished(call, LOOP_LIMIT_SECONDS)
                finally:
                    gc.collect()  # coroutines never awaited say so when they are collected
            for warning in seen:
                if problem is None and "was never awaited" in str(warning.message):
                    problem = teaching.never_awaited(call, str(warning.message).splitlines()[0])
            await asyncio.sleep(0)  # let what just finished finish
            tasks = _new_tasks(tasks_before, me)
            if tasks:  # a connection handler may still be saying goodbye: give it a moment
                await asyncio.wait(tasks, timeout=TASK_GRACE_SECONDS)
                tasks = [t for t in tasks if not t.done()]
            if problem is None and tasks:
                problem = teaching.leftover_task(call, _describe_task(tasks[0]))
            timers = [h for h in getattr(loop, "_scheduled", []) if h not in timers_before
                      and not h.cancelled()]
            if problem is None and timers:
                problem = teaching.leftover_timer(call, repr(timers[0]))
        finally:
            # Whatever happened, stop what is left, so the loop can close: a task that
            # ignores cancellation would otherwise hold pytest forever.
            stuck = await _stop(_new_tasks(tasks_before, me, including_checks=True))
        if stuck and (problem is None or "still running" in problem or "did not finish" in problem):
            problem = teaching.uncancellable(call, _describe_task(stuck[0]))
        if problem is not None:
            raise Leftover(problem)

    return check


def _new_tasks(before: set[asyncio.Task[Any]], me: asyncio.Task[Any] | None, *,
               including_checks: bool = False) -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() - before if t is not me and not t.done()
            and (including_checks or not _is_checks_own(t))]


async def _stop(tasks: list[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Cancel ``tasks``; those that ignore it are stopped by closing their coroutine.
    The exercise's that ignored it are returned."""
    if not tasks:
        return []
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=TASK_GRACE_SECONDS)
    stuck = [t for t in tasks if not t.done()]
    for task in stuck:
        task.add_done_callback(_quietly)
        try:
            task.get_coro().close()  # GeneratorExit at its await: the task ends at its next step
        except BaseException:  # whatever it does, it is stopped
            pass
    return [t for t in stuck if not _is_checks_own(t)]


def _quietly(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: the check has already said what went wrong


def _is_checks_own(task: asyncio.Task[Any]) -> bool:
    """A task the check itself started (a server, a helper), not the exercise."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and Path(code.co_filename).parent == Path(__file__).parent


def _describe_task(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or task.get_name()
    frame = getattr(coro, "cr_frame", None)
    where = f" (at {Path(frame.f_code.co_filename).name}:{frame.f_lineno})" if frame else ""
    return f"a task running {name}(){where}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fn = getattr(item, "obj", None)
        if inspect.iscoroutinefunction(fn) and item.get_closest_marker("asyncio"):
            item.obj = _watched(fn, _call(item))  # type: ignore[attr-defined]


_THREADS = pytest.StashKey[set[int]]()


def _threads_now() -> dict[int, threading.Thread]:
    return {t.ident or 0: t for t in threading.enumerate()
            if not t.name.startswith(OWN_THREADS) and t is not threading.current_thread()}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    del _blocking[:]
    before = set(_threads_now())
    try:
        return (yield)
    finally:
        item.stash[_THREADS] = before


def _new_threads(item: pytest.Item) -> list[threading.Thread]:
    before = item.stash.get(_THREADS, set())
    threads = [t for ident, t in _threads_now().items() if ident not in before]
    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threads if t.is_alive()]


def _describe_thread(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    name = getattr(target, "__qualname__", None)
    return thread.name + (f" running {name}" if name else "")


def _short(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """A failure in one line or two: the check's message and the exercise's line."""
    exc = excinfo.value
    text = str(exc).split("\nassert ")[0].strip() if isinstance(exc, AssertionError) else ""
    if isinstance(exc, pytest.fail.Exception):
        text = exc.msg
    if not text:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if isinstance(exc, NotImplementedError):
            text = "NotImplementedError: this function is not implemented yet"
    for entry in reversed(excinfo.traceback):
        if _is_exercise(str(entry.path)):
            line = entry.lineno + 1
            code = linecache.getline(str(entry.path), line).strip()
            return f"{text}\n  at {Path(entry.path).name}:{line} in {entry.name} ({code})"
    return text


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if item.config.option.tbstyle == "auto":
        # asyncio's own log of what the loop cancelled at the end is noise next to the
        # one-line message (``--tb=long`` shows everything).
        report.sections = [s for s in report.sections if not s[0].startswith("Captured log")]
    if call.when != "call":
        return report
    message = None
    if _blocking:  # first: a blocking call explains the timing failures that follow it
        hit = _blocking[0]
        message = teaching.blocking(_call(item), hit["call"], hit["where"])
    elif call.excinfo is not None and isinstance(call.excinfo.value, Leftover):
        message = str(call.excinfo.value)
    elif call.excinfo is None:
        threads = _new_threads(item)
        if threads:
            message = teaching.leftover_thread(_call(item), _describe_thread(threads[0]))
    if message is not None:
        report.outcome = "failed"
        report.longrepr = message
    elif report.failed and call.excinfo is not None and item.config.option.tbstyle == "auto":
        report.longrepr = _short(call.excinfo)
    return report
