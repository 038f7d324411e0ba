"""What the child watches while student code runs.

- blocking calls, through blockbuster, activated before any student module is
  imported (so ``from time import sleep`` is caught too) and recorded even when the
  student swallows the error;
- CPU-bound stalls, by timing every loop step on the thread's CPU clock (immune to a
  loaded machine), with a watchdog thread that samples where a long step is;
- blocking by its effect: a step whose thread slept in the kernel (``schedstat``: wall
  time neither on a CPU nor waiting for one) while no other thread of ours ran, whatever
  call made it (``select.select``, an unwrapped ``time.sleep``, a lock);
- what is left behind: threads, child processes and sockets, by comparing snapshots.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
import time
import weakref
from asyncio import events, futures
from typing import Any

import blockbuster.blockbuster as bbmod
import msgspec
import psutil

from grader._wire import BlockingCall, Location, Stall

from . import STUCK_MARK, plain, tamper

STALL_CPU_SECONDS = 0.1  # honest loop steps take microseconds; busy loops take far more
STALL_WALL_SECONDS = 1.0  # a step that long without CPU sat in a call nobody patched
# A step whose thread slept this long in the kernel blocked the loop (honest steps never
# sleep: the loop waits in its selector, between steps)...
BLOCKED_SECONDS = 0.02
# ...unless other threads of the worker used at least this share of that time on the CPU:
# then the step was waiting for the GIL, which is not the student blocking.
GIL_SHARE = 0.5
# ...and unless the watchdog could not take the GIL at least this many times meanwhile.
MIN_TICKS = 2
# A step shorter than this is neither a stall nor a block (a step's CPU time is never more
# than its wall time): its clocks are not read again at its end.
QUICK_SECONDS = min(STALL_CPU_SECONDS, STALL_WALL_SECONDS, BLOCKED_SECONDS)
WATCHDOG_EVERY = 0.01  # seconds between the watchdog's looks at the running step
WATCHDOG_THREAD = "aiograde-watchdog"
STUCK_SECONDS = 2.0
# The watchdog's pause, bound at import: blockbuster wraps time.sleep later, and its wrapper
# (which asks for a running loop, by an exception, at every call) would cost each tick.
_sleep = time.sleep
# Our own reads of /proc at every scenario (and of the scenarios' small files), bound at
# import too: blockbuster's wrappers ask for a running loop, by an exception, at every call
# (two dozen calls a scenario).
_listdir, _readlink, _open, _read, _close = os.listdir, os.readlink, os.open, os.read, os.close
# The clocks the instruments read, bound at import as well: a submission that replaces
# time.perf_counter or its kin fools only itself.
_thread_time, _process_time, _perf_counter = time.thread_time, time.process_time, \
    time.perf_counter
# A stuck step whose thread was on a CPU (or runnable, waiting for one) this share of the
# time watched is a busy loop; a blocked one (a lock, a blocking read, a sleep) uses ~none.
BUSY_SHARE = 0.5


# An object's identity as a number, like id() but without its audit event (builtins.id),
# which every audit hook would see on every loop step: its hash as an object (its address).
identity = object.__hash__

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


class _ThreadClock:
    """The calling thread's scheduler account (``/proc/thread-self/schedstat``): time on the
    CPU and time runnable but waiting for one, in seconds. What is left of a step's wall
    time is time the thread slept: blocked in the kernel, whatever call put it there."""

    def __init__(self) -> None:
        self.fds: dict[tuple[int, int], int] = {}

    def read(self) -> tuple[float, float] | None:
        key = (os.getpid(), threading.get_ident())  # a forked worker opens its own
        fd = self.fds.get(key)
        try:
            if fd is None:
                fd = self.fds[key] = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            on_cpu, waiting, _ = os.pread(fd, 100, 0).split()
            return int(on_cpu) / 1e9, int(waiting) / 1e9
        except (OSError, ValueError):
            return None


def _stalled(handle: events.Handle, slot: list[Any], cpu: float, wall: float) -> None:
    """Record a step that ran too long: on the CPU (a busy loop) or waiting."""
    stall_events.append(Stall("cpu" if cpu >= STALL_CPU_SECONDS else "wait", round(cpu, 3),
                              round(wall, 3), slot[1], plain.safe_repr(handle, 200),
                              loop_time()))


class StepMonitor:
    """Times each loop step (``Handle._run``) on the CPU clock of its thread, and tells a
    step that slept in the kernel (a blocking wait, whichever function made it) from one
    that waited for the GIL while another thread worked (not blocking: to_thread's
    workers share the GIL with the loop)."""

    def __init__(self) -> None:
        self.active = False
        # thread id -> [wall start, sampled student location or None, stuck already said]
        self.running: dict[int, list[Any]] = {}
        self._original_run = events.Handle._run
        self._watchdog: threading.Thread | None = None
        # Every task a step of a loop ran for, however it was made: leaks are found from
        # what the loop ran, not from asyncio's registry (which a submission can edit).
        # (identity -> weak reference: a dict of C-made references costs a step least)
        self.tasks_seen: dict[int, weakref.ref[Any]] = {}
        # identity(loop) -> its time after the last step
        self.clock_seen: dict[int, float] = {}
        self.ticks = 0  # the watchdog's turns with the GIL
        self.clock = _ThreadClock()
        # The watchdog looks only while a scenario runs (``wake`` to ``rest``): between
        # requests, most of a worker's life in a class grading, it waits on this gate
        # instead of waking every WATCHDOG_EVERY for nothing. Its methods are bound now,
        # before blockbuster wraps the locks' ``acquire``.
        gate = _thread.allocate_lock()
        gate.acquire()  # closed: no scenario runs yet
        self._gate_take, self._gate_give = gate.acquire, gate.release
        self._awake = False

    def install(self, effects: bool = True) -> None:
        """Time every loop step. ``effects``: also judge blocking by its effect, record the
        tasks the steps ran for and check the loop's clock (the trust instruments; off only
        for ``bench/bench_trust.py``, by the parent's order to the fork server)."""
        if not effects:
            self._install_plain()
            return
        monitor = self
        original = self._original_run
        clock = self.clock
        ref = weakref.ref
        task_types = (futures.Future,)  # tasks are futures; a step runs for its task
        timer_handle, audit, skip, same = events.TimerHandle, sys.audit, bbmod._skip, identity
        thread_time, perf_counter, process_time = _thread_time, _perf_counter, _process_time
        original_start = threading.Thread.start

        def counted_start(thread: threading.Thread) -> None:
            # Thread.start waits for the new thread to run: a wait of the kernel's making.
            tamper.SPAWNS[0] += 1
            return original_start(thread)

        threading.Thread.start = counted_start  # type: ignore[method-assign,assignment]

        def timed_run(handle: events.Handle) -> None:
            # Always on: loops run only inside scenarios in a worker (``active`` is kept for
            # the scenarios' code, and a submission turning it off changes nothing).
            owner = getattr(getattr(handle, "_callback", None), "__self__", None)
            if isinstance(owner, task_types):
                monitor.tasks_seen[same(owner)] = ref(owner)  # (no closure cell: it changes)
            loop: Any = getattr(handle, "_loop")  # noqa: B009 (a private attribute)
            loop_key = same(loop)
            last = monitor.clock_seen.get(loop_key)
            if type(handle) is timer_handle:
                audit("aiograde.timer", loop_key, handle._when)  # type: ignore[attr-defined]
            ident = threading.get_ident()
            sched0 = clock.read()  # (its first number is the thread's CPU time)
            cpu0 = thread_time() if sched0 is None else sched0[0]
            wall0, process0 = perf_counter(), process_time()
            started0, ticks0 = tamper.SPAWNS[0], monitor.ticks
            slot: list[Any] = [wall0, None, False]
            monitor.running[ident] = slot
            try:
                return original(handle)
            finally:
                monitor.running.pop(ident, None)
                wall = perf_counter() - wall0
                after = loop.time()  # a loop's clock never goes back, in a step or between
                monitor.clock_seen[loop_key] = after
                if last is not None and after < last:
                    audit("aiograde.finding", "rewinds-clock", "the event loop's clock went "
                          f"back by {last - after:g} s (during or between its steps): "
                          "something set it", slot[1])
                if skip.value:  # blockbuster's own switch, left on: its checks were skipped
                    skip.value = False
                    audit("aiograde.finding", "rewrites-instruments", "blockbuster's skip "
                          "switch was turned on by hand, to let blocking calls through",
                          slot[1])
                if wall >= QUICK_SECONDS:  # (a quicker step used less CPU still: judged)
                    _judge_step(handle, slot, wall, (cpu0, sched0, process0), clock,
                                started0 != tamper.SPAWNS[0], monitor.ticks - ticks0)

        events.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    def _install_plain(self) -> None:
        """The step timing the grader had before the trust instruments: stalls only."""
        monitor, original = self, self._original_run
        thread_time, perf_counter = _thread_time, _perf_counter

        def timed_run(handle: events.Handle) -> None:
            ident = threading.get_ident()
            cpu0, wall0 = thread_time(), perf_counter()
            slot: list[Any] = [wall0, None, False]
            monitor.running[ident] = slot
            try:
                return original(handle)
            finally:
                monitor.running.pop(ident, None)
                cpu, wall = thread_time() - cpu0, perf_counter() - wall0
                if cpu >= STALL_CPU_SECONDS or wall >= STALL_WALL_SECONDS:
                    _stalled(handle, slot, cpu, wall)

        events.Handle._run = timed_run  # type: ignore[method-assign,assignment]

    def start_watchdog(self) -> None:
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(target=self._watch, name=WATCHDOG_THREAD, daemon=True)
            self._watchdog.start()

    def wake(self) -> None:
        """A scenario starts: the watchdog looks every WATCHDOG_EVERY (main thread only)."""
        if not self._awake:
            self._awake = True
            self._gate_give()

    def rest(self) -> None:
        """The scenario ended: the watchdog waits at its gate until the next one."""
        if self._awake:
            self._awake = False
            self._gate_take()

    def _watch(self) -> None:
        # thread id -> (its running step's slot, wall and CPU clock at the first long look)
        looks: dict[int, tuple[list[Any], float, float | None]] = {}
        take, give = self._gate_take, self._gate_give
        while True:
            take()  # (waits while the worker rests between scenarios)
            give()
            _sleep(WATCHDOG_EVERY)
            self.ticks += 1  # it holds the GIL now: see _judge_sleep
            if not self.running:
                looks.clear()
                continue
            now = time.perf_counter()
            frames = sys._current_frames()
            for ident, slot in list(self.running.items()):
                if now - slot[0] > BLOCKED_SECONDS / 2 and ident in frames:
                    found = student_location(frames[ident])
                    if found is not None:
                        slot[1] = found
                    look = looks.get(ident)
                    if look is None or look[0] is not slot:  # a new step of that thread
                        looks[ident] = (slot, now, _cpu_seconds(ident))
                if now - slot[0] > STUCK_SECONDS and not slot[2]:
                    # A step that may never end: say where, and whether its thread spins
                    # on the CPU or waits, for the parent to read in the log if it has to
                    # stop this process.
                    slot[2] = True
                    _, since, cpu0 = looks.get(ident, (slot, now, None))
                    print(STUCK_MARK + _stuck(slot[1], ident, now - since, cpu0),
                          file=sys.__stderr__, flush=True)
            del frames


def _cpu_seconds(ident: int) -> float | None:
    """Seconds thread ``ident`` has been on a CPU or runnable, waiting for one (its
    ``schedstat``: a spinning thread on a loaded machine waits for a CPU, never sleeps),
    or only on a CPU (its CPU clock) where ``/proc`` does not show it; None when neither
    can be read."""
    try:
        clock = time.pthread_getcpuclockid(ident)
    except (OSError, OverflowError):
        return None
    # Linux makes a thread's CPU clock id from its kernel id, ~tid << 3 | 6 (posix-timers.h):
    # threading's native_id of the main thread is its parent's in a forked worker.
    tid = ~(clock >> 3)
    try:
        if os.readlink("/proc/thread-self").endswith(f"/task/{threading.get_native_id()}"):
            with open(f"/proc/self/task/{tid}/schedstat", "rb") as f:  # /proc numbers as we do
                on_cpu, runnable, _ = f.read().split()
            return (int(on_cpu) + int(runnable)) / 1e9
    except (OSError, ValueError):
        pass
    try:
        return time.clock_gettime(clock)
    except OSError:
        return None


def _stuck(where: Location | None, ident: int, watched: float, cpu0: float | None) -> str:
    """The watchdog's word on a stuck step, as a :class:`Stall` in JSON: ``cpu`` when its
    thread kept a CPU for at least ``BUSY_SHARE`` of the ``watched`` seconds (a busy loop),
    ``wait`` when it did not (blocked), or could not be measured."""
    cpu1 = _cpu_seconds(ident)
    used = 0.0 if cpu0 is None or cpu1 is None else max(0.0, cpu1 - cpu0)
    busy = cpu0 is not None and cpu1 is not None and watched > 0 and used >= BUSY_SHARE * watched
    stall = Stall("cpu" if busy else "wait", round(used, 3), round(watched, 3), where, "",
                  loop_time())
    return msgspec.json.encode(stall).decode()


def _judge_step(handle: events.Handle, slot: list[Any], wall: float,
                before: tuple[float, tuple[float, float] | None, float], clock: _ThreadClock,
                spawned: bool, ticks: int) -> None:
    """A step that took at least QUICK_SECONDS: a stall if it used the CPU that long or ran
    STALL_WALL_SECONDS, else a block if its thread slept in the kernel. ``before``: the
    thread's CPU time, its scheduler account and the process's CPU time at the start."""
    cpu0, sched0, process0 = before
    sched1 = None if sched0 is None else clock.read()
    cpu = (_thread_time() if sched1 is None else sched1[0]) - cpu0
    if cpu >= STALL_CPU_SECONDS or wall >= STALL_WALL_SECONDS:
        _stalled(handle, slot, cpu, wall)
    elif wall >= BLOCKED_SECONDS and sched0 is not None and not spawned:
        # (a step that started a thread or a process waited for it to start: the kernel's
        # doing, not the student blocking)
        _judge_sleep(handle, slot, sched0, sched1, wall, _process_time() - process0 - cpu,
                     ticks)


def _judge_sleep(handle: events.Handle, slot: list[Any], before: tuple[float, float],
                 after: tuple[float, float] | None, wall: float, others_cpu: float,
                 ticks: int) -> None:
    """A step of ``wall`` seconds: did its thread sleep in the kernel, and not for the GIL?

    Waiting for the GIL is sleeping too. Either another thread of ours ran meanwhile (its
    CPU time shows it), or the GIL's holder was itself off the CPU (a loaded machine): then
    the watchdog, which needs the GIL to tick, could not tick either. A loop thread blocked
    in a call releases the GIL, and the watchdog ticks every 5 ms meanwhile."""
    if after is None:
        return
    on_cpu, runnable = after[0] - before[0], after[1] - before[1]
    slept = wall - on_cpu - runnable  # neither running nor waiting for a CPU: blocked
    if slept >= BLOCKED_SECONDS and others_cpu < GIL_SHARE * slept and ticks >= MIN_TICKS:
        stall_events.append(Stall("blocked", round(on_cpu, 3), round(wall, 3), slot[1],
                                  plain.safe_repr(handle, 200), loop_time(), round(slept, 3)))


monitor = StepMonitor()


def read_own_file(path: str) -> bytes:
    """A small file of ours (never the student's), read whole from any thread with the
    functions bound before blockbuster wrapped them; raises OSError as ``open`` does."""
    fd = _open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := _read(fd, 65536):
            chunks.append(chunk)
    finally:
        _close(fd)
    return b"".join(chunks)


def socket_fds() -> set[str]:
    found = set()
    for fd in _listdir("/proc/self/fd"):
        try:
            target = _readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(f"{fd}:{target}")
    return found


def _childless() -> bool:
    """Whether the kernel's list of children of each of our threads is empty: one small
    read per thread, where psutil's search reads every process's status. False when the
    kernel keeps no such lists (then psutil searches)."""
    try:
        threads = _listdir("/proc/self/task")
    except OSError:
        return False
    for thread in threads:
        try:
            if read_own_file(f"/proc/self/task/{thread}/children").strip():
                return False
        except FileNotFoundError:
            if os.path.isdir(f"/proc/self/task/{thread}"):
                return False  # no list kept (a kernel without CONFIG_PROC_CHILDREN)
        except OSError:
            return False
    return True


def child_processes() -> dict[int, psutil.Process]:
    # Most scenarios start no process at all: no search then.
    if _childless():
        return {}
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
