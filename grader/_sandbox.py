"""The parent's side of the sandbox: a zygote, one worker per exercise, time limits.

The parent never imports student code and never trusts anything a worker says
beyond plain JSON of a bounded size. Time limits are enforced here, from outside:
a worker that does not answer in time is killed (with everything it started) and
the next request gets a fresh one, so a hang costs one test, never an exercise.
"""

from __future__ import annotations

import enum
import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._child import SYSTEM_PATHS
from ._cleanup import remove_tree
from ._wire import (
    LOG_TAIL_BYTES,
    MAX_LINE_BYTES,
    Answer,
    Hello,
    Kill,
    Killed,
    Limits,
    Request,
    Shutdown,
    Spawn,
    Spawned,
    WireError,
    decode_reply,
    decode_worker_line,
    encode,
)

_PROJECT = Path(__file__).resolve().parent.parent
HIDDEN_FROM_STUDENTS = [_PROJECT / "solutions", _PROJECT / "tests", _PROJECT / "grader" / "suites"]


class FailureKind(enum.Enum):
    TIMEOUT = "timeout"  # no answer within the exercise's time limit: killed
    CRASH = "crash"  # the worker died
    GARBLED = "garbled"  # it wrote something that is not the answer asked for: forgery
    WIRE = "wire"  # a well-formed line of the wrong shape: the grader's own bug


class ForkServerGone(Exception):
    """The fork server died (student code may have found and killed it)."""


@dataclass
class Confinement:
    """How a worker is confined: what the fork server is told with every spawn."""

    confine: bool
    hide: list[str]
    allow: list[str]
    submitted: list[str]  # module names of the submission's other files, refused by name


@dataclass
class Overrun:
    """An exercise whose code already ran out of time once: the rest of its tests share half
    a time limit more, so code that spins or hangs costs the exercise about twice its limit,
    not a limit per test (a test that finishes still passes; one that would hang too is cut
    short)."""

    first_test: str
    left: float  # real seconds the remaining tests may still use, together


@dataclass
class Failure:
    """Why a worker gave no answer."""

    kind: FailureKind
    seconds: float
    detail: str


# The trust instruments in the workers (audit hooks, the sentinel, blocking by its effect).
# Turned off only by bench/bench_trust.py, in the parent, to measure what they cost: the
# fork server is told when it starts, before any student code exists anywhere.
TRUST_INSTRUMENTS = True


class Zygote:
    """The fork server process (see ``grader._child.zygote``).

    ``clients`` grader processes may share it, each through its own socket
    (:meth:`client`): one submission's grader processes pay its start-up once."""

    _PATHS = [str(_PROJECT), sysconfig.get_paths()["purelib"],
              sysconfig.get_paths()["platlib"]]
    BOOT = f"import sys; sys.path[:0] = {_PATHS!r}; from grader._child.zygote import main"

    def __init__(self, clients: int = 1) -> None:
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
                 for _ in range(max(1, clients))]
        theirs = [pair[1].fileno() for pair in pairs]
        boot = f"{self.BOOT}; main(*{theirs!r}, trust={TRUST_INSTRUMENTS!r})"
        # -I -S: no environment variables, no user site, no .pth files: only what we name.
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", boot], pass_fds=theirs,
            stdin=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                           "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"},
            start_new_session=True,
        )
        for _, their_end in pairs:
            their_end.close()
        self.socks = [ours for ours, _ in pairs]
        self.sock = self.socks[0]
        self._buffer = b""

    def serves(self, lanes: int) -> bool:
        """Whether it has a socket for each of ``lanes`` grader processes."""
        return len(self.socks) >= max(1, lanes)

    def client(self, index: int) -> Zygote:
        """The same fork server through client ``index``'s own socket (for a grader
        process forked after it started); closing it hangs up that socket only."""
        view = object.__new__(Zygote)
        view.process, view.socks, view.sock, view._buffer = (
            self.process, [self.socks[index]], self.socks[index], b"")
        return view

    def order(self, message: Spawn | Kill, fds: list[int] | None = None) -> Spawned | Killed:
        socket.send_fds(self.sock, [encode(message)], fds or [])
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ForkServerGone("the grader's fork server stopped unexpectedly")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return decode_reply(line)

    def close(self) -> None:
        try:
            socket.send_fds(self.sock, [encode(Shutdown())], [])
        except OSError:
            pass
        for sock in self.socks:
            sock.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _carries_id(line: bytes, request_id: str) -> bool:
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("id") == request_id


class Worker:
    """One sandboxed process holding one student module."""

    def __init__(self, zygote: Zygote, slug: str, path: Path, limits: Limits,
                 confinement: Confinement) -> None:
        self.zygote, self.slug = zygote, slug
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        self.log = tempfile.TemporaryFile()
        scratch = self.scratch = tempfile.mkdtemp(prefix=f"{slug}-", dir=path.parent)
        reply = zygote.order(
            Spawn(slug=slug, path=str(path), scratch=scratch, limits=limits,
                  confine=confinement.confine, hide=confinement.hide, allow=confinement.allow,
                  submitted=confinement.submitted),
            [requests_r, answers_w, self.log.fileno()])
        os.close(requests_r)
        os.close(answers_w)
        if not isinstance(reply, Spawned):
            raise WireError(f"the fork server answered a spawn with {reply!r}")
        self.pid: int = reply.pid
        self.requests = requests_w
        self.answers = answers_r
        self._buffer = b""
        self.alive = True
        self.hello: Hello | Failure | None = None

    def ready(self, time_limit: float) -> Hello | Failure:
        """The worker's first line: whether the student module imported."""
        if self.hello is None:
            hello = self._read(time_limit, time.monotonic())
            if isinstance(hello, Answer):
                hello = self._garbled(0.0, "the submission's process wrote to the grader's "
                                      "channel before it was ready")
            self.hello = hello
        return self.hello

    def run(self, scenario: str, args: dict[str, Any], time_limit: float) -> Answer | Failure:
        started = time.monotonic()
        hello = self.ready(time_limit)
        if isinstance(hello, Failure):
            return hello
        # Unguessable, so that code in the child cannot answer a question before it is asked.
        request_id = secrets.token_hex(8)
        try:
            os.write(self.requests, encode(Request(request_id, scenario, args)))
        except OSError:
            return self._fail(FailureKind.CRASH, started)
        answer = self._read(time_limit, started, request_id)
        if isinstance(answer, Hello) or (isinstance(answer, Answer) and answer.id != request_id):
            return self._garbled(time.monotonic() - started, "the submission's process sent an "
                                 "answer that was not asked for")
        return answer

    def _read(self, time_limit: float, started: float,
              request_id: str | None = None) -> Hello | Answer | Failure:
        deadline = started + time_limit
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._fail(FailureKind.TIMEOUT, started)
            ready, _, _ = select.select([self.answers], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.answers, 1 << 16)
            if not chunk:
                return self._fail(FailureKind.CRASH, started)
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE_BYTES:
                return self._garbled(time.monotonic() - started, "the submission's process sent "
                                     f"more than {MAX_LINE_BYTES >> 20} MiB in one answer")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return decode_worker_line(line)
        except WireError as exc:
            self.kill()
            seconds = time.monotonic() - started
            if request_id is not None and _carries_id(line, request_id):
                # The answer to our question, of the wrong shape: our own bug (or a forger
                # who found the id in memory; either way not a grade the student earned).
                return Failure(FailureKind.WIRE, seconds, str(exc)[:300])
            return Failure(FailureKind.GARBLED, seconds,
                           "the submission's process wrote something that is not an answer")

    def _garbled(self, seconds: float, detail: str) -> Failure:
        self.kill()
        return Failure(FailureKind.GARBLED, seconds, detail)

    def _fail(self, kind: FailureKind, started: float) -> Failure:
        seconds = round(time.monotonic() - started, 2)
        self.kill()  # first, so the log holds all the worker wrote
        return Failure(kind, seconds, self.log_tail())

    def log_tail(self) -> str:
        """The end of what the worker wrote to its file descriptors 1 and 2."""
        try:
            self.log.seek(max(0, os.fstat(self.log.fileno()).st_size - LOG_TAIL_BYTES))
            return self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        finally:
            self.log.close()

    def kill(self) -> None:
        if self.alive:
            self.alive = False
            try:
                self.zygote.order(Kill(self.pid))
            except (OSError, ForkServerGone, WireError):  # no fork server to ask: kill its group ourselves
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except OSError:
                    pass
            for fd in (self.requests, self.answers):
                try:
                    os.close(fd)
                except OSError:
                    pass
            # trust: the worker's scratch goes with it (its tmpfs died with its namespace;
            # without one, whatever the submission wrote there)
            for folder in (self.scratch, self.scratch + ".root"):
                remove_tree(folder)


def _machine_paths() -> frozenset[str]:
    """What every worker may see: the system, the Python it runs on with its packages, and
    the grader's package (its suites are hidden on top)."""
    paths = {*SYSTEM_PATHS, sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(_PROJECT / "grader")}
    paths.update(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    return frozenset(p for p in paths if p and os.path.isabs(p))


# Worked out once, before the grader processes that make sandboxes are forked.
_MACHINE_PATHS = _machine_paths()


def allowed_paths(modules: dict[str, Path]) -> set[str]:
    """All a worker may see: the machine's paths above, and the submission's private copy."""
    own = (str(p.parent) for p in modules.values())
    return {*_MACHINE_PATHS, *(p for p in own if os.path.isabs(p))}


class Sandbox:
    """All workers for one submission. A dead or killed worker is replaced on next use."""

    def __init__(self, modules: dict[str, Path], limits: Limits | None = None, *,
                 confine: bool = True, hide: list[Path] | None = None,
                 submitted: list[str] | None = None, zygote: Zygote | None = None) -> None:
        self.modules = modules
        self.limits = limits or Limits()
        # What the child must not read: the solutions, the hidden suites, the project's tests.
        hidden = [*(hide or []), *HIDDEN_FROM_STUDENTS]
        self.confinement = Confinement(confine, sorted({str(p) for p in hidden}),
                                       sorted(allowed_paths(modules)), sorted(submitted or []))
        # A fork server given to us is shared (one student at a time): used, never closed.
        self.owns_zygote = zygote is None
        self.zygote = zygote or Zygote()
        self.workers: dict[str, Worker] = {}
        # A module whose import hangs would hang every fresh worker: remember, and fail fast.
        self.import_hangs: dict[str, Failure] = {}
        self.overruns: dict[str, Overrun] = {}

    def start(self, slugs: list[str]) -> None:
        """Fork every worker at once, so student modules import side by side."""
        for slug in slugs:
            self.worker(slug)

    def ready(self, slug: str, time_limit: float) -> Hello | Failure:
        """Whether the slug's module imported in its worker (forking one if needed)."""
        if slug in self.import_hangs:
            return self.import_hangs[slug]
        hello = self.worker(slug).ready(time_limit)
        if isinstance(hello, Failure) and hello.kind is FailureKind.TIMEOUT:
            self.import_hangs[slug] = hello
        return hello

    def worker(self, slug: str) -> Worker:
        current = self.workers.get(slug)
        if current is None or not current.alive:
            if current is not None:
                current.log.close()
            try:
                current = Worker(self.zygote, slug, self.modules[slug], self.limits,
                                 self.confinement)
            except (OSError, ForkServerGone, WireError):
                # Student code found and killed the fork server: start another one, go on.
                if self.owns_zygote:
                    self.zygote.close()
                self.zygote, self.owns_zygote = Zygote(), True
                current = Worker(self.zygote, slug, self.modules[slug], self.limits,
                                 self.confinement)
            self.workers[slug] = current
        return current

    def close(self) -> None:
        for worker in self.workers.values():
            worker.kill()
            worker.log.close()
        if self.owns_zygote:
            self.zygote.close()
