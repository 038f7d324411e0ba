"""What the child watches while student code runs.

- blocking calls, through blockbuster, activated before any student module is
  imported (so ``from time import sleep`` is caught too) and recorded even when the
  student swallows the error;
- CPU-bound stalls, by timing every loop step on the thread's CPU clock (immune to a
  loaded machine), with a watchdog thread that samples where a long step is;
- what is left behind: threads, child processes and sockets, by comparing snapshots.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from asyncio import events
from typing import Any

import blockbuster.blockbuster as bbmod
import msgspec
import psutil

from grader._wire import BlockingCall, Location, Stall

from . import STUCK_MARK, plain

STALL_CPU_SECONDS = 0.1  # honest loop steps take microseconds; busy loops take far more
STALL_WALL_SECONDS = 1.0  # a step that long without CPU sat in a call nobody patched
WATCHDOG_THREAD = "aiograde-watchdog"
STUCK_SECONDS = 2.0


blocking_events: list[BlockingCall] = []
stall_events: list[Stall] = []


def loop_time(loop: Any = None) -> float | None:
    """Seconds on the scenario's loop clock since it started (the running loop's, or
    ``loop``'s when asked from another thread); None off any scenario's loop."""
    loop = loop or events._get_running_loop()
    start = getattr(loop, "aiograde_started", None)
    return None if loop is None or start is None else round(loop.time() - start, 6)


def student_location(frame: Any) -> Location | None:
    """The innermost frame of the submission on a stack, as plain data."""
    while frame is not None:
        if frame.f_code.co_filename in plain.STUDENT_FILES:
            return plain.where(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


class RecordingBlockingError(bbmod.BlockingError):
    """Raised by blockbuster's wrappers; records itself so ``except Exception`` can't hide it."""

    def __init__(self, func: str) -> None:
        super().__init__(func)
        frame = sys._getframe(1)
        blocking_events.append(BlockingCall(func, student_location(frame),
                                            threading.current_thread().name, loop_time()))


plain.trust_class(RecordingBlockingError)
_blockbuster: bbmod.BlockBuster | None = None


def activate_blockbuster() -> None:
    global _blockbuster
    if _blockbuster is not None:
        return
    # The wrappers look the name up when they raise.
    bbmod.BlockingError = RecordingBlockingError  # type: ignore[misc]
    _blockbuster = bbmod.BlockBuster()
    # Logging handlers write files; a log record from a coroutine is not the student blocking.
    for name in ("io.TextIOWrapper.write", "io.BufferedWriter.write"):
        _blockbuster.functions[name].can_block_in("logging/__init__.py", {"emit", "flush"})
    _blockbuster.activate()


class StepMonitor:
    """Times each loop step (``Handle._run``) on the CPU clock of its thread."""

    def __init__(self) -> None:
        self.active = False
        # thread id -> [wall start, sampled student location or None, stuck already said]
        self.running: dict[int, list[Any]] = {}
        self._original_run = events.Handle._run
        self._watchdog: threading.Thread | None = None

    def install(self) -> None:
        monitor = self
        original = self._original_run

        def timed_run(handle: events.Handle) -> None:
            if not monitor.active:
                return original(handle)
            ident = threading.get_ident()
            cpu0, wall0 = time.thread_time(), time.perf_counter()
            slot: list[Any] = [wall0, None, False]
            monitor.running[ident] = slot
            try:
                return original(handle)
            finally:
                monitor.running.pop(ident, None)
                cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
                if cpu >= STALL_CPU_SECONDS or wall >= STALL_WALL_SECONDS:
                    stall_events.append(Stall(
                        "cpu" if cpu >= STALL_CPU_SECONDS else "wait", round(cpu, 3),
                        round(wall, 3), slot[1], plain.safe_repr(handle, 200), loop_time()))

        events.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    def start_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch, name=WATCHDOG_THREAD, daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        while True:
            time.sleep(0.01)
            if not self.running:
                continue
            now = time.perf_counter()
            frames = sys._current_frames()
            for ident, slot in list(self.running.items()):
                if now - slot[0] > 0.03 and ident in frames:
                    found = student_location(frames[ident])
                    if found is not None:
                        slot[1] = found
                if now - slot[0] > STUCK_SECONDS and not slot[2]:
                    # A step that may never end (a deadlock): say where, for the parent to
                    # read in the log if it has to stop this process.
                    slot[2] = True
                    where = msgspec.json.encode(slot[1]).decode()
                    print(STUCK_MARK + where, file=sys.__stderr__, flush=True)
            del frames


monitor = StepMonitor()


def socket_fds() -> set[str]:
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(f"{fd}:{target}")
    return found


def child_processes() -> dict[int, psutil.Process]:
    # /proc/self, not os.getpid(): in a PID namespace whose /proc could not be mounted,
    # getpid() is 1 and /proc/1 is the machine's init, whose children are not ours.
    try:
        me = int(os.readlink("/proc/self"))
        return {p.pid: p for p in psutil.Process(me).children(recursive=True)}
    except (psutil.Error, OSError, ValueError):
        return {}


def describe_process(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())[:200] or proc.name()
        return f"pid {proc.pid} ({cmd}, {proc.status()})"
    except psutil.Error:
        return f"pid {proc.pid}"


def describe_thread(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    name = getattr(target, "__qualname__", None)
    return f"{thread.name}" + (f" running {name}" if name else "")


class Snapshot:
    """What exists before a scenario, to tell what it left behind."""

    def __init__(self) -> None:
        self.threads = {t.ident for t in threading.enumerate()}
        self.processes = set(child_processes())
        self.sockets = socket_fds()

    def leftovers(self, grace: float = 1.0) -> dict[str, list[str]]:
        # Processes first: killing and reaping them also ends the threads that wait on them
        # (asyncio's waitpid threads), which must not be blamed as leaks of their own.
        processes = [p for pid, p in child_processes().items() if pid not in self.processes]
        described = [describe_process(p) for p in processes]
        for proc in processes:  # never let one test's leftovers run into the next
            try:
                proc.kill()
                proc.wait(1)
            except psutil.Error:
                pass
        deadline = time.monotonic() + grace
        threads = [t for t in threading.enumerate() if t.ident not in self.threads]
        for thread in threads:  # a pool shutting down may need a moment to let its threads go
            thread.join(max(0.0, deadline - time.monotonic()))
        threads = [t for t in threads if t.is_alive() and t.name != WATCHDOG_THREAD]
        if processes:
            threads = [t for t in threads if not t.name.startswith("asyncio-waitpid")]
        return {
            "threads": [describe_thread(t) for t in threads],
            "processes": described,
            "sockets": sorted(socket_fds() - self.sockets),
        }
