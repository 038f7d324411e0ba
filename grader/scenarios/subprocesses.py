"""Scenarios for ``subprocesses``, on the real clock (real programs take real time).

The programs are ``/bin/sh`` one-liners, ``sleep``, ``cat`` and, for the one that must
interleave large writes to both pipes, this Python (``sys.executable -I -S -c ...``): a
shell starts in about a millisecond, Python in some twenty. A program that is killed is
started directly (``sleep``), never through a shell, so that the kill reaches it. The
loop's ``subprocess_exec`` and ``subprocess_shell`` are wrapped on the scenario's own loop,
so that the scenario can tell whether a process the student started had been reaped (its
return code collected) by the time ``run`` returned or raised; child processes (alive or
zombie) are also listed, from a worker thread. A heartbeat task counts how often the loop
got to run.

``run_all``'s concurrency is measured structurally: each command writes a start mark
and an end mark to a log in a folder made here, and "held" commands wait, between the
two, on a FIFO of their own until the scenario writes a line to it (no polling). Released
one at a time, they show how many run at once and whether a free slot is filled while
commands are still waiting; the processes started and not yet reaped, seen from the loop,
count as running too, so a command beyond the limit is seen the moment it is started.
No assertion rests on a wall-clock bound; the bounds here only stop mistakes from hanging,
and every wait ends as soon as what it waits for has happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import psutil

from grader._child.instruments import read_own_file
from grader._child.kit import Result, scenario

from ._common import CallerEnd, cancelled_by_caller

PY = [sys.executable, "-I", "-S", "-c"]
SH = ["/bin/sh", "-c"]
PATIENCE = 2.5  # real seconds for run_all to end, far more than a correct one needs
GRACE = 1.5  # real seconds after its timeout by which run must have returned or raised
FILL_PATIENCE = 1.5  # real seconds to wait for a free slot to be filled (~0.01 s needed)
# Real seconds to watch for commands beyond the limit. A command beyond it is started
# (and seen from the loop) together with the first ones, long before those have written
# their marks; the window is a margin on top of that.
SETTLE = 0.05
BIG = 1024 * 1024  # bytes: sixteen times what a pipe holds
HEARTBEAT = 0.01  # real seconds between two beats of the heartbeat task
# The "nap" program waits until the heartbeat task has beaten this many times, which a loop
# left free does in three beats' time however loaded the machine; a loop held by ``run``
# cannot beat, and a thread of ours lets the program go after NAP_LONGEST real seconds.
NAP_BEATS = 3
NAP_LONGEST = 1.0

# Shell programs: $0 names the program (for ps), $1... are its arguments.
SHELL_PROGRAMS = {
    "out_err_exit": "printf 'to out\\n'; printf 'to err\\n' >&2; exit 3",
    # each argument followed by a NUL byte, exactly as received
    "argv": "printf '%s\\0' \"$@\"",
    "stdin_len": "printf %s \"$(wc -c | tr -d ' ')\"",  # (BSD's wc pads the count)
    # argv: the FIFO that lets it go (see NAP_BEATS); without it (a run that loses its
    # arguments, already wrong), a nap of a tenth of a second
    "nap": "if [ -p \"$1\" ]; then head -n 1 \"$1\" > /dev/null; else sleep 0.1; fi; "
           "printf rested",
    # argv: seconds, exit code, bytes to write on each of stdout and stderr
    "exit_after": "if [ \"$3\" != 0 ]; then head -c \"$3\" /dev/zero | tr '\\0' o; "
                  "head -c \"$3\" /dev/zero | tr '\\0' e >&2; fi; "
                  "if [ \"$1\" != 0 ]; then sleep \"$1\"; fi; exit \"$2\"",
    # argv: log, name, FIFO to wait on (held) or "" (quick), exit code
    "mark": "printf '+%s\\n' \"$2\" >> \"$1\"; "
            "if [ -n \"$3\" ]; then read -r _ < \"$3\"; fi; "
            "printf -- '-%s\\n' \"$2\" >> \"$1\"; exit \"$4\"",
}

PY_PROGRAMS = {
    "big_both": "import sys\n"
                "o, e = sys.stdout.buffer, sys.stderr.buffer\n"
                "for _ in range(16):\n"
                "    e.write(b'e' * 65536); e.flush()\n"
                "    o.write(b'o' * 65536); o.flush()\n",
}


def _program(name: str, *args: str) -> list[str]:
    if name == "cat":
        return ["cat", *args]
    if name == "sleep":  # started directly: a kill must reach the sleeping process itself
        return ["sleep", "30", *args]
    if name in PY_PROGRAMS:
        return [*PY, PY_PROGRAMS[name], *args]
    return [*SH, SHELL_PROGRAMS[name], f"aiograde-{name}", *args]


class Child(Result):
    """A child process of the worker."""

    pid: int
    status: str  # psutil's: "running", "sleeping", "zombie", ...
    cmd: str  # the end of its command line


class Cleanup(Result):
    """What was left of the processes started during a scenario once it was over."""

    ended_later: list[int]  # return codes of processes that ended shortly after
    killed_here: list[int]  # pids of processes still running, killed (and reaped) here


def _children() -> list[Child]:
    """This process's child processes, alive or zombie (call it from a worker thread)."""
    found: list[Child] = []
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return found
    for child in children:
        try:
            found.append(Child(pid=child.pid, status=child.status(),
                               cmd=" ".join(child.cmdline())[-120:]))
        except psutil.Error:
            pass
    return found


class Watch:
    """Processes the loop starts during a scenario, and a heartbeat on the loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transports: list[asyncio.SubprocessTransport] = []
        self.beats = 0
        self.on_beats: tuple[int, Callable[[], None]] | None = None  # (count, call at count)
        self._beating: asyncio.Task[None] | None = None
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.cleanup = Cleanup(ended_later=[], killed_here=[])

    def _started_one(self, transport: asyncio.SubprocessTransport) -> None:
        self.transports.append(transport)
        for count, waiter in self._waiters:
            if len(self.transports) >= count and not waiter.done():
                waiter.set_result(None)

    def started(self, count: int) -> asyncio.Future[None]:
        """Done once ``count`` processes have been started."""
        waiter: asyncio.Future[None] = self.loop.create_future()
        if len(self.transports) >= count:
            waiter.set_result(None)
        else:
            self._waiters.append((count, waiter))
        return waiter

    async def running(self, count: int, argv: list[str]) -> None:
        """Done once ``count`` processes run ``argv`` itself. A process started through a
        shell is the shell until it has started the program: cancelled at that moment, a
        run that kills only the shell would leave nothing behind, by chance (a race the
        shell wins in a quiet moment and may lose under load)."""
        await self.started(count)
        wanted = " ".join(argv)
        while True:  # (nothing tells when a shell has started its program: look)
            children = await asyncio.to_thread(_children)
            if sum(c.cmd == wanted and c.status != psutil.STATUS_ZOMBIE for c in children) >= count:
                return
            await asyncio.sleep(HEARTBEAT)

    def unreaped(self) -> int:
        """Processes started and not reaped yet: running, as far as the loop knows."""
        return sum(1 for t in self.transports if t.get_returncode() is None)

    async def __aenter__(self) -> Watch:
        loop, original_exec, original_shell = self.loop, self.loop.subprocess_exec, \
            self.loop.subprocess_shell

        async def tracked_exec(*args: Any, **kwargs: Any) -> Any:
            transport, protocol = await original_exec(*args, **kwargs)
            self._started_one(transport)
            return transport, protocol

        async def tracked_shell(*args: Any, **kwargs: Any) -> Any:
            transport, protocol = await original_shell(*args, **kwargs)
            self._started_one(transport)
            return transport, protocol

        loop.subprocess_exec = tracked_exec  # type: ignore[method-assign]
        loop.subprocess_shell = tracked_shell  # type: ignore[method-assign]
        self._beating = asyncio.create_task(self._heartbeat())
        return self

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            self.beats += 1
            if self.on_beats is not None and self.beats == self.on_beats[0]:
                self.on_beats[1]()

    def returncodes(self) -> list[int | None]:
        return [t.get_returncode() for t in self.transports]

    async def __aexit__(self, *exc: Any) -> None:
        assert self._beating is not None
        self._beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._beating
        del self.loop.subprocess_exec
        del self.loop.subprocess_shell
        self.cleanup = await self._reap_leftovers()

    async def _reap_leftovers(self) -> Cleanup:
        """Give processes the student killed a moment to be reaped; kill and reap the ones
        still running. What was found is part of the observation."""
        out = Cleanup(ended_later=[], killed_here=[])
        pending = [t for t in self.transports if t.get_returncode() is None]
        for _ in range(50):  # at most half a second
            if not any(t.get_returncode() is None for t in pending):
                break
            await asyncio.sleep(0.01)
        for t in pending:
            code = t.get_returncode()
            if code is not None:
                out.ended_later.append(code)
                continue
            out.killed_here.append(t.get_pid())
            with contextlib.suppress(ProcessLookupError, OSError):
                t.kill()
            for _ in range(50):
                if t.get_returncode() is not None:
                    break
                await asyncio.sleep(0.01)
        for t in self.transports:
            t.close()
        await asyncio.sleep(0)
        return out


class Summary(Result):
    """A large ``(returncode, stdout, stderr)`` as plain facts."""

    returncode: Any
    out_len: int
    err_len: int
    out_ok: bool  # stdout is what was expected
    err_ok: bool  # stderr is what was expected


def _summary(result: Any, expect_out: bytes | None, expect_err: bytes | None) -> Summary | None:
    """``result`` summarised; None if it is not a tuple of a code and two bytes."""
    if type(result) is not tuple or len(result) != 3:
        return None
    code, out, err = result
    if type(out) is not bytes or type(err) is not bytes:
        return None
    return Summary(returncode=code, out_len=len(out), err_len=len(err),
                   out_ok=expect_out is None or out == expect_out,
                   err_ok=expect_err is None or err == expect_err)


class Ran(Result):
    returned: Any  # None when summarised or when run raised or hung
    summary: Summary | None  # what run returned, summarised (with ``summarize``)
    raised: Any  # the TimeoutError run raised, if it did
    hung: bool  # still running GRACE real seconds after its timeout (and then cancelled)
    took: float  # real seconds
    beats: int  # beats of the heartbeat task while it ran
    started: int  # processes started
    codes_at_return: list[int | None]  # their return codes when run returned or raised
    left_at_return: list[Child]  # child processes, alive or zombie, at that moment
    cleanup: Cleanup


class Shortfall(Result):
    """A moment when fewer commands ran than should have."""

    running: int
    want: int  # commands that should have been running
    ended: int  # commands ended by then


class RanAll(Result):
    returned: Any
    hung: bool  # not done PATIENCE real seconds after the last release (then cancelled)
    cleanup: Cleanup


class RanAllHeld(RanAll):
    most: int  # commands running at once, at most
    shortfalls: list[Shortfall]
    marks: list[str]  # the log: "+name" when a command started, "-name" when it ended


class RanAllCodes(RanAll):
    started: int  # processes started


class Refused(Result):
    returned: Any
    started: int  # processes started


@contextlib.contextmanager
def _stdin_that_never_ends(active: bool) -> Any:
    """While active, this process's standard input is a pipe that stays open and empty:
    a program that inherits it (instead of getting an empty or closed stdin) waits for
    ever, as it would on a terminal."""
    if not active:
        yield
        return
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)


@scenario("real")
async def run(mod: Any, program: str, args: list[str] | None = None,
              input_text: str | None = None, input_size: int | None = None,
              pass_input: bool = True, timeout: float = 3.0,
              summarize: bool = False, stdin_trap: bool = False) -> Ran:
    """``run(<program> *args, input=..., timeout=...)``. ``input_text`` is sent as UTF-8;
    ``input_size`` sends that many bytes of a pattern; with neither, ``input=None`` is
    passed (or, with ``pass_input=False``, not passed at all). ``stdin_trap``: see
    ``_stdin_that_never_ends``."""
    nap = await asyncio.to_thread(_Holds, ["nap"]) if program == "nap" else None
    argv = _program(program, *(args or []) if nap is None else [nap.fifos["nap"]])
    kwargs: dict[str, Any] = {"timeout": timeout}
    data: bytes | None = None
    if input_text is not None:
        data = input_text.encode()
    elif input_size is not None:
        data = (bytes(range(256)) * (input_size // 256 + 1))[:input_size]
    if data is not None or pass_input:
        kwargs["input"] = data
    loop = asyncio.get_running_loop()
    returned: Any = None
    caught: BaseException | None = None
    hung = False
    # (a thread, not the loop: it must go even while the loop is held)
    giving_up = None if nap is None else threading.Timer(NAP_LONGEST, nap.release, ["nap"])
    try:
        async with Watch() as watch:
            if nap is not None and giving_up is not None:
                watch.on_beats = (NAP_BEATS, lambda: nap.release("nap"))
                giving_up.start()
            t0 = loop.time()
            try:
                with _stdin_that_never_ends(stdin_trap):
                    async with asyncio.timeout(timeout + GRACE) as bound:
                        returned = await mod.run(*argv, **kwargs)
            except TimeoutError as exc:
                if bound.expired():
                    hung = True
                else:
                    caught = exc
            took = loop.time() - t0
            codes_at_return = watch.returncodes()
            left_at_return = await asyncio.to_thread(_children)
    finally:
        if nap is not None and giving_up is not None:
            giving_up.cancel()
            if giving_up.is_alive():  # (its release must not write to a closed FIFO)
                await asyncio.to_thread(giving_up.join)
            await asyncio.to_thread(nap.close)
    summary = None
    if summarize and program == "big_both":
        summary = _summary(returned, b"o" * BIG, b"e" * BIG)
    elif summarize and program == "cat":
        summary = _summary(returned, data, b"")
    return Ran(returned=None if summary is not None else returned, summary=summary,
               raised=caught, hung=hung, took=round(took, 3), beats=watch.beats,
               started=len(watch.transports), codes_at_return=codes_at_return,
               left_at_return=left_at_return, cleanup=watch.cleanup)


# -- run_all -----------------------------------------------------------------------------

class _Holds:
    """A folder with the log and one FIFO per held command. The scenario keeps each FIFO
    open for reading and writing until the end, so that a command opening it never waits
    for a writer; a line written to it lets the command go, and closing it (at the end, or
    when the worker dies) lets go every command still waiting, which then reads an end of
    file."""

    def __init__(self, names: list[str]) -> None:
        self.folder = tempfile.mkdtemp(prefix="held-", dir=os.getcwd())
        self.log = os.path.join(self.folder, "log")
        self.fifos: dict[str, str] = {}
        self.fds: dict[str, int] = {}
        self.released: set[str] = set()
        for name in names:
            path = os.path.join(self.folder, name + ".go")
            os.mkfifo(path, 0o600)
            self.fifos[name] = path
            self.fds[name] = os.open(path, os.O_RDWR | os.O_NONBLOCK)

    def release(self, name: str) -> None:
        # The FIFO stays open (until close): a line in a FIFO that nobody holds open is lost,
        # and a command released between its start mark and opening its FIFO (a moment that
        # grows on a loaded machine) would then wait for ever.
        fd = self.fds.get(name)
        if fd is not None and name not in self.released:
            self.released.add(name)
            with contextlib.suppress(OSError):
                os.write(fd, b"go\n")

    def marks(self) -> list[str]:
        # Read from the loop's thread, every 2 ms while run_all_held waits: a small file in
        # the worker's scratch folder, which memory holds, never makes the read wait.
        try:
            return read_own_file(self.log).decode().split()
        except FileNotFoundError:
            return []

    def close(self) -> None:
        for name in list(self.fds):
            self.release(name)
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
        shutil.rmtree(self.folder, True)


async def _finish(task: asyncio.Task[Any]) -> tuple[Any, bool]:
    """The student's run_all result, waited for (bounded); hung if it never came."""
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        task.cancel()
        with contextlib.suppress(BaseException):
            async with asyncio.timeout(1.0):
                await task
        return None, True
    return task.result(), False  # the student's exception, if any, propagates


@scenario("real")
async def run_all_held(mod: Any, count: int, limit: int, settle_first: bool = False) -> RanAllHeld:
    """``run_all`` of ``count`` held commands (exit codes 10, 11, ...). The scenario waits
    until ``min(limit, commands not ended)`` have started (at most FILL_PATIENCE; after a
    first shortfall it stops waiting), then lets the oldest running one go and waits for
    it to end; and so on. ``settle_first``: before the first release, watch SETTLE more
    seconds for commands beyond the limit."""
    names = [f"p{i}" for i in range(count)]
    holds = await asyncio.to_thread(_Holds, names)
    commands = [_program("mark", holds.log, name, holds.fifos[name], str(10 + i))
                for i, name in enumerate(names)]
    loop = asyncio.get_running_loop()
    most = 0
    shortfalls: list[Shortfall] = []
    released: list[str] = []
    lenient = False
    marks: list[str] = []
    watch: Watch

    def look() -> tuple[list[str], set[str]]:
        nonlocal marks, most
        marks = holds.marks()
        started = [m[1:] for m in marks if m.startswith("+")]
        ended = {m[1:] for m in marks if m.startswith("-")}
        running = [n for n in started if n not in ended]
        most = max(most, len(running), watch.unreaped())
        return running, ended

    returned: Any = None
    hung = False
    async with Watch() as watch:
        task = asyncio.create_task(mod.run_all(commands, limit))
        try:
            first = True
            while True:
                running, ended = look()
                if len(ended) == count or task.done():
                    break
                want = min(limit, count - len(ended))
                waited_from = loop.time()
                while len(running) < want and not task.done():
                    if lenient or loop.time() - waited_from > FILL_PATIENCE:
                        shortfalls.append(Shortfall(running=len(running), want=want,
                                                    ended=len(ended)))
                        lenient = True
                        break
                    await asyncio.sleep(0.002)
                    running, ended = look()
                if first and settle_first:
                    settle_until = loop.time() + SETTLE
                    while loop.time() < settle_until and not task.done():
                        await asyncio.sleep(0.01)
                        running, ended = look()
                first = False
                waiting = [n for n in running if n not in released]
                if not waiting:
                    if task.done():
                        break
                    await asyncio.sleep(0.002)
                    continue
                name = waiting[0]
                released.append(name)
                holds.release(name)
                gone_by = loop.time() + PATIENCE
                while name not in ended and loop.time() < gone_by and not task.done():
                    await asyncio.sleep(0.002)
                    running, ended = look()
        finally:
            # Whatever happened, let every command go, so that nothing waits for ever.
            for name in names:
                holds.release(name)
            try:
                returned, hung = await _finish(task)
            finally:
                look()
                await asyncio.to_thread(holds.close)
    return RanAllHeld(returned=returned, hung=hung, most=most, shortfalls=shortfalls,
                      marks=marks, cleanup=watch.cleanup)


@scenario("real")
async def run_all_codes(mod: Any, specs: list[list[Any]], limit: int) -> RanAllCodes:
    """``run_all`` of commands that each wait ``specs[i][0]`` seconds, then exit with code
    ``specs[i][1]``, after writing ``specs[i][2]`` bytes (if given) to stdout and stderr."""
    commands = [_program("exit_after", str(s[0]), str(s[1]), str(s[2] if len(s) > 2 else 0))
                for s in specs]
    async with Watch() as watch:
        task = asyncio.create_task(mod.run_all(commands, limit))
        returned, hung = await _finish(task)
    return RanAllCodes(returned=returned, hung=hung, started=len(watch.transports),
                       cleanup=watch.cleanup)


@scenario("real")
async def run_all_refused(mod: Any, limit: int) -> Refused:
    """``run_all`` with a bad ``limit``: the student's exception propagates."""
    commands = [_program("exit_after", "0", "0", "0")]
    async with Watch() as watch:
        async with asyncio.timeout(PATIENCE):
            returned = await mod.run_all(commands, limit)
    return Refused(returned=returned, started=len(watch.transports))


# -- cancelled by the caller (the convention), and run_all's stdin -----------------------

class RanCancelled(Result):
    caller: CallerEnd[list[int | None]]  # at_end: its processes' return codes as it ended
    started: int  # processes started
    left: list[Child]  # child processes, alive or zombie, once the caller's task had ended
    cleanup: Cleanup


@scenario("real")
async def run_cancelled(mod: Any, cancel_at: float) -> RanCancelled:
    """``run(<sleep 30 s>, timeout=60)`` in a task that its caller cancels once the
    program runs (at most ``cancel_at`` real seconds); the return codes of its
    processes when the task ended."""
    sleep = _program("sleep")
    async with Watch() as watch:
        caller = await cancelled_by_caller(
            lambda: mod.run(*sleep, input=None, timeout=60.0), cancel_at, PATIENCE,
            on_end=watch.returncodes, cancel_when=watch.running(1, sleep))
        left = await asyncio.to_thread(_children)
    return RanCancelled(caller=caller, started=len(watch.transports), left=left,
                        cleanup=watch.cleanup)


@scenario("real")
async def run_all_cancelled(mod: Any, count: int, limit: int, cancel_at: float) -> RanCancelled:
    """``run_all(<count x sleep 30 s>, limit)`` in a task that its caller cancels once
    ``min(count, limit)`` programs run (at most ``cancel_at`` real seconds); the
    return codes of its processes when the task ended."""
    sleep = _program("sleep")
    async with Watch() as watch:
        caller = await cancelled_by_caller(
            lambda: mod.run_all([list(sleep) for _ in range(count)], limit), cancel_at,
            PATIENCE, on_end=watch.returncodes, cancel_when=watch.running(min(count, limit), sleep))
        left = await asyncio.to_thread(_children)
    return RanCancelled(caller=caller, started=len(watch.transports), left=left,
                        cleanup=watch.cleanup)


@scenario("real")
async def run_all_stdin(mod: Any, count: int, limit: int) -> RanAllCodes:
    """``run_all(<count x cat>, limit)`` while this process's stdin is a pipe that never
    ends: a ``cat`` that inherits it never ends either."""
    commands = [_program("cat") for _ in range(count)]
    async with Watch() as watch:
        with _stdin_that_never_ends(True):
            task = asyncio.create_task(mod.run_all(commands, limit))
            returned, hung = await _finish(task)
    return RanAllCodes(returned=returned, hung=hung, started=len(watch.transports),
                       cleanup=watch.cleanup)
