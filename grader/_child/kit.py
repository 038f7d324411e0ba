"""What scenario authors use: the ``scenario`` decorator and small instruments.

A scenario is trusted grader code that runs in the child: it calls student functions
with the inputs the parent chose, watches what they do, and returns plain data. It
asserts nothing; the parent's test does.

    @scenario("virtual")
    async def squares_concurrently(mod, xs, delay):
        calls = Tracker()
        mod.slow_square = calls.wrap(reference_slow_square)
        return {"returned": await mod.squares_concurrently(xs, delay), "most": calls.most}
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import re
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import looptime
import msgspec

from grader._wire import (
    EventKind,
    ExceptionInfo,
    Location,
    LoopError,
    Observation,
    TimelineEvent,
)

from . import instruments, plain, tamper

_audit = sys.audit  # bound before any student code runs; the sentinel checks it stays so
_collect = gc.collect  # likewise: finalising what a scenario forgot must not be skipped
Clock = str  # "virtual": looptime's loop; "real": a plain loop; "sync": no loop from the harness
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Scenario:
    fn: Callable[..., Any]
    clock: Clock
    idle_timeout: float
    end: float


REGISTRY: dict[str, Scenario] = {}
# Instrumented calls and tasks drawn on the loop's timeline, at most this many a scenario.
MAX_TIMELINE_EVENTS = 200


def scenario_name(fn: Callable[..., Any]) -> str:
    """The registry key of a scenario function: ``<slug>.<function name>``."""
    return f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"


def scenario(clock: Clock = "virtual", *, idle_timeout: float = 2.0,
             end: float = 3600.0) -> Callable[[F], F]:
    """Register ``fn(mod, **args)`` as the scenario ``<slug>.<fn name>``.

    ``idle_timeout`` (real seconds) ends a virtual-clock scenario whose loop has
    nothing left to do but wait forever; ``end`` (loop seconds) ends one that never
    stops scheduling work. The function's return annotation is its result type (a
    :class:`Result`): the parent decodes the answer into it, strictly.
    """
    if clock not in ("virtual", "real", "sync"):
        raise ValueError(f"unknown clock {clock!r}: use 'virtual', 'real' or 'sync'")

    def register(fn: F) -> F:
        REGISTRY[scenario_name(fn)] = Scenario(fn, clock, idle_timeout, end)
        return fn

    return register


class Result(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every scenario's result. Fields holding what student code returned are
    typed ``Any`` (they arrive as inert values: tuples, bytes, ``Opaque``, ``Raised``)."""


class _Timeline:
    """Events of the current scenario on its loop's clock (see ``grader._wire``)."""

    def __init__(self) -> None:
        self.events: list[list[Any]] = []  # [kind, name, start, end, where]

    def start(self, kind: EventKind, name: str, where: Location | None = None,
              loop: Any = None) -> list[Any] | None:
        at = instruments.loop_time(loop)
        if at is None or len(self.events) >= MAX_TIMELINE_EVENTS:
            return None
        event = [kind, name, at, None, where]
        self.events.append(event)
        return event

    @staticmethod
    def end(event: list[Any] | None, loop: Any = None) -> None:
        if event is not None:
            event[3] = instruments.loop_time(loop)

    def drain(self) -> list[TimelineEvent]:
        found = [TimelineEvent(*event) for event in self.events]
        self.events = []
        return found


timeline = _Timeline()


class Tracker:
    """Counts calls of a wrapped function and how many run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.calls: list[Any] = []
        self._lock = threading.Lock()  # calls may come from several threads

    def enter(self, record: Any = None) -> None:
        _audit("aiograde.track", self, 1)  # the sentinel's own account (see sentinel.py)
        self.calls.append(record)
        self.running += 1
        self.most = max(self.most, self.running)

    def leave(self) -> None:
        _audit("aiograde.track", self, -1)
        self.running -= 1

    def wrap_async(self, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def tracked(*args: Any, **kwargs: Any) -> Any:
            self.enter(list(args))
            shown = ", ".join(plain.safe_repr(a, 20) for a in args)
            event = timeline.start(EventKind.CALL, f"{fn.__name__}({shown})")
            try:
                return await fn(*args, **kwargs)
            finally:
                timeline.end(event)
                self.leave()

        # Feedback about a forgotten await then names the student's function, not ours.
        tracked.__name__ = tracked.__qualname__ = fn.__name__
        return tracked

    def wrap_sync(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        # Called from worker threads: count under a lock (never taken on the loop's thread,
        # where waiting for it would be blocking).
        loop = asyncio.events._get_running_loop()  # wrapped on the loop, called from threads
        name = getattr(fn, "__name__", "call").lstrip("_")

        def tracked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.enter(list(args))
                shown = ", ".join(plain.safe_repr(a, 20) for a in args)
                event = timeline.start(EventKind.CALL, f"{name}({shown})", loop=loop)
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    timeline.end(event, loop)
                    self.leave()

        return tracked


def now() -> float:
    """The running loop's clock: virtual under the "virtual" clock."""
    return asyncio.get_running_loop().time()


class _BoundedText(io.StringIO):
    LIMIT = 20_000

    def write(self, text: str) -> int:
        if self.tell() < self.LIMIT:
            super().write(text[: self.LIMIT - self.tell()])
        return len(text)


class _LoopWatch:
    """Per-loop hygiene: every task created, every error the loop reports."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.tasks: weakref.WeakKeyDictionary[asyncio.Task[Any], Any] = weakref.WeakKeyDictionary()
        self.errors: list[LoopError] = []
        self.start = loop.time()
        instruments.monitor.clock_seen.pop(instruments.identity(loop), None)  # maybe an old one
        instruments.monitor.tasks_seen.clear()  # one scenario's tasks at a time
        _audit("aiograde.loop", loop)
        loop.set_task_factory(self._make_task)
        loop.set_exception_handler(self._on_error)

    def _make_task(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made = instruments.student_location(sys._getframe(1))  # where it was made
        self.tasks[task] = made
        if made is not None:  # the scenario's own tasks are not the student's to see
            name = getattr(coro, "__qualname__", None) or plain.safe_repr(coro, 60)
            event = timeline.start(EventKind.TASK, f"{name}()", made)
            task.add_done_callback(lambda _: timeline.end(event))
        return task

    def _on_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        self.errors.append(LoopError(
            plain.safe_str(context.get("message", ""), 300),
            plain.describe_exception(exc) if exc is not None else None,
            plain.safe_repr(context.get("task") or context.get("handle") or "", 200)))


def made_at(task: asyncio.Task[Any], watch: _LoopWatch) -> Location | None:
    """Where the student's code made the task (or where its coroutine is), if known."""
    made: Location | None = watch.tasks.get(task)
    if made:
        return made
    code = getattr(task.get_coro(), "cr_code", None)
    if code is not None and code.co_filename in plain.STUDENT_FILES:
        return plain.where(code.co_filename, code.co_firstlineno, code.co_name)
    return None


def _task_name(task: asyncio.Task[Any], watch: _LoopWatch) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or plain.safe_repr(coro, 120)
    made = watch.tasks.get(task)
    return f"a task running {name}()" + (
        f", created at {made.file}:{made.line} ({made.code})" if made else "")


def _drain(loop: asyncio.AbstractEventLoop, watch: _LoopWatch, main: asyncio.Future[Any],
           leaks: dict[str, list[str]]) -> None:
    """Report and stop what the scenario left on its loop."""
    made: set[asyncio.Task[Any]] = set(watch.tasks)
    found = _reachable_from_loop(loop)
    pending = [t for t in made | found if not t.done() and t is not main]
    registered = asyncio.all_tasks(loop)
    for task in pending:
        if task not in registered:  # only code that edits asyncio's registry hides a task
            tamper.record("hides-tasks", f"{_task_name(task, watch)} was running but missing "
                          "from asyncio's registry of tasks (asyncio.all_tasks)",
                          made_at(task, watch))
    leaks["tasks"] = [_task_name(t, watch) for t in pending]
    for task in pending:
        task.cancel()
    if pending:
        try:
            loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
        except BaseException:
            pass
        leaks["uncancellable"] = [_task_name(t, watch) for t in pending if not t.done()]
    _audit("aiograde.clock", watch.start, loop.time(), loop)
    for task in list(watch.tasks):
        if task.done() and not task.cancelled() and task.exception() is not None and \
                getattr(task, "_log_traceback", False):
            task._log_traceback = False
            leaks.setdefault("unretrieved", []).append(
                f"{_task_name(task, watch)} raised {plain.safe_repr(task.exception(), 200)}")
    timers = [h for h in getattr(loop, "_scheduled", []) if not h.cancelled()]
    leaks["timers"] = [plain.safe_repr(h, 200) for h in timers]
    for handle in timers:
        handle.cancel()


def _idle(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether a step of the loop would run nothing: no callback ready, and no file
    watched but the loop's own wake-up pipe."""
    try:
        selector = getattr(loop, "_selector", None)
        watched = len(selector.get_map()) if selector is not None else 2
        return not getattr(loop, "_ready", True) and watched <= 1
    except Exception:
        return False


def _reachable_from_loop(loop: asyncio.AbstractEventLoop) -> set[asyncio.Task[Any]]:
    """Tasks and futures the loop itself holds or ran, whatever made them and whatever
    asyncio's registry says: the step monitor's record of every task a step ran for, and
    the owners of the callbacks in its ready queue, its timers and its selector."""
    seen = [r() for r in list(instruments.monitor.tasks_seen.values())]
    found = {t for t in seen if isinstance(t, asyncio.Task) and t.get_loop() is loop}
    handles: list[Any] = [*getattr(loop, "_ready", []), *getattr(loop, "_scheduled", [])]
    selector = getattr(loop, "_selector", None)
    if selector is not None:
        try:
            for key in selector.get_map().values():
                handles.extend(h for h in (key.data or ()) if h is not None)
        except (RuntimeError, AttributeError, TypeError):
            pass
    for handle in handles:
        owner = getattr(getattr(handle, "_callback", None), "__self__", None)
        if isinstance(owner, asyncio.Task):
            found.add(owner)
    return found


# The frames a coroutine records of where it was made, for the feedback on one never awaited
# (its innermost frame in the student's file: the call that made it). The frame that makes
# a coroutine is the one that calls its function, the student's own in every case the
# samples hold; its caller covers one helper of the library's in between. Each frame costs a
# scan of its code's line table at every coroutine made, the loop's large functions below
# too: at 8 frames, 37 ms more of a grading's CPU than at 2 (bench/README.md, thirteenth pass).
COROUTINE_ORIGIN_DEPTH = 2

_FRAME_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')


def _never_awaited(caught: list[warnings.WarningMessage]) -> tuple[list[str], list[str]]:
    never, other = [], []
    for w in caught:
        text = plain.safe_str(w.message, 4000)
        if "was never awaited" not in text:
            other.append(f"{w.category.__name__}: {text[:600]}")
            continue
        first = text.splitlines()[0]
        sites = [m for m in _FRAME_LINE.finditer(text) if m["file"] in plain.STUDENT_FILES]
        if sites:
            site = plain.where(sites[-1]["file"], int(sites[-1]["line"]), sites[-1]["function"])
            first += f" (created at {site.file}:{site.line} in {site.function}: {site.code})"
        never.append(first)
    return never, other


def execute(mod: Any, name: str, args: dict[str, Any]) -> Observation:
    """Run one scenario against the student's module; everything observed, as plain data."""
    spec = REGISTRY[name]
    instruments.blocking_events.clear()
    instruments.stall_events.clear()
    timeline.drain()
    out, err = _BoundedText(), _BoundedText()
    leaks: dict[str, list[str]] = {}
    before = instruments.Snapshot()
    wall0 = time.perf_counter()
    sys.set_coroutine_origin_tracking_depth(COROUTINE_ORIGIN_DEPTH)
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        instruments.monitor.active = True
        instruments.monitor.wake()
        try:
            if spec.clock == "sync":
                outcome = _result(lambda: spec.fn(mod, **args))
            else:
                outcome = _run_on_loop(spec, mod, args, leaks)
        finally:
            instruments.monitor.active = False
            instruments.monitor.rest()
            _collect()  # finalise forgotten coroutines now, so they count against this scenario
    sys.set_coroutine_origin_tracking_depth(0)
    wall = round(time.perf_counter() - wall0, 4)
    leaks.update(before.leftovers())
    never_awaited, other_warnings = _never_awaited(caught)
    return Observation(
        scenario=name, value=outcome.value, error=outcome.error, elapsed=outcome.elapsed,
        wall=wall, leaks={k: v for k, v in leaks.items() if v}, never_awaited=never_awaited,
        warnings=other_warnings, loop_errors=outcome.loop_errors,
        blocking=list(instruments.blocking_events), stalls=list(instruments.stall_events),
        timeline=_drawn(spec, outcome.elapsed), stdout=out.getvalue(), stderr=err.getvalue())


def _drawn(spec: Scenario, elapsed: float | None) -> list[TimelineEvent]:
    """The timeline: the call as a whole (so a picture always has its first bar), the tasks
    and instrumented calls in it, and the moments the loop was held up by a blocking call
    or a stall.

    On the virtual clock its times are exact; on a real clock (threads, processes, sockets)
    they are the run's own, like a test's duration, and may differ from run to run."""
    events = timeline.drain()
    if elapsed is not None:
        events.insert(0, TimelineEvent(EventKind.CALL, f"{spec.fn.__name__}(…) as a whole", 0.0,
                                       elapsed))
    held = [TimelineEvent(EventKind.BLOCKED, b.call, b.at, b.at, b.where)
            for b in instruments.blocking_events if b.at is not None]
    # (only a step that kept the CPU is a busy loop; one that waited held the loop blocked)
    held += [TimelineEvent(EventKind.STALL if s.kind == "cpu" else EventKind.BLOCKED,
                           f"{s.wall:g} s in one step", s.at, s.at, s.where)
             for s in instruments.stall_events if s.at is not None]
    return sorted(events + held, key=lambda e: e.start)[:MAX_TIMELINE_EVENTS]


@dataclass
class _Outcome:
    value: Any = None
    error: ExceptionInfo | None = None
    elapsed: float | None = None
    loop_errors: list[LoopError] = field(default_factory=list)


def _result(fn: Callable[[], Any]) -> _Outcome:
    try:
        return _Outcome(value=plain.plain(fn()))
    except BaseException as exc:
        return _Outcome(error=plain.describe_exception(exc))


class _PendingFutures(set[Any]):
    """The executor futures a looptime loop waits for, holding only those not yet done.

    looptime keeps them in a WeakSet and, at every turn of the loop, asks whether any is
    not done; iterating an empty WeakSet costs a third of a bare turn (1.3 of 4 µs here),
    and a virtual-clock scenario turns hundreds of times. A future leaves this set once
    done (its callback, a turn later): ``any(not f.done() ...)`` answers as it would."""

    def add(self, future: Any) -> None:
        super().add(future)
        future.add_done_callback(self.discard)


# Empty turns looptime's loop makes before it moves the clock to the next timer (its default
# is 42). They let nothing run: a turn runs callbacks only when some are ready, and then the
# clock does not move. They are a moment's grace for something outside the loop (a thread,
# a process) to answer before the clock jumps, which they cannot give (the research notes:
# 42 turns miss even a thread answering in 0.5 ms; threads started through the loop are
# waited for in real time by looptime, whatever this number). Each turn is a poll of the
# selector and the loop's bookkeeping: 42 of them at every timer cost a student about 45 ms
# of CPU (bench/README.md, ninth pass).
NOOP_CYCLES = 0

# looptime's name for that set (a private attribute: if it goes, the loop keeps its own)
_LOOPTIME_FUTURES = "_LoopTimeEventLoop__sync_futures"


def virtual_loop(end: float, idle_timeout: float) -> asyncio.AbstractEventLoop:
    """A looptime loop as a virtual-clock scenario runs on."""
    loop = looptime.new_event_loop(end=end, idle_timeout=idle_timeout, noop_cycles=NOOP_CYCLES)
    if hasattr(loop, _LOOPTIME_FUTURES):
        setattr(loop, _LOOPTIME_FUTURES, _PendingFutures())
    return loop


def _run_on_loop(spec: Scenario, mod: Any, args: dict[str, Any],
                 leaks: dict[str, list[str]]) -> _Outcome:
    loop: asyncio.AbstractEventLoop
    if spec.clock == "virtual":
        loop = virtual_loop(spec.end, spec.idle_timeout)
    else:
        loop = asyncio.new_event_loop()
    watch = _LoopWatch(loop)
    asyncio.set_event_loop(loop)
    try:
        start = loop.time()
        loop.aiograde_started = start  # type: ignore[attr-defined]  # the timeline's origin
        main = loop.create_task(spec.fn(mod, **args))
        outcome = _result(lambda: loop.run_until_complete(main))
        outcome.elapsed = round(loop.time() - start, 6)
        _drain(loop, watch, main, leaks)
        # Each shutdown runs the loop for a few steps. With no async generator or thread
        # pool to shut down and nothing those steps would run, they change nothing: skipped.
        if not _idle(loop) or getattr(loop, "_asyncgens", True):
            loop.run_until_complete(loop.shutdown_asyncgens())
        if not _idle(loop) or getattr(loop, "_default_executor", True) is not None:
            try:  # a thread that never returns must not hang the scenario: reported instead
                loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), 2.0))
            except TimeoutError:
                pass
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    outcome.loop_errors = watch.errors
    return outcome
