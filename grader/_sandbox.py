"""The parent's side of the sandbox: a zygote, one worker per exercise, time limits.

The parent never imports student code and never trusts anything a worker says
beyond plain JSON of a bounded size. Time limits are enforced here, from outside:
a worker that does not answer in time is killed (with everything it started) and
the next request gets a fresh one, so a hang costs one test, never an exercise.
"""

from __future__ import annotations

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

from ._cleanup import remove_tree

MAX_ANSWER_BYTES = 4 * 1024 * 1024
LOG_TAIL_BYTES = 2000
DEFAULT_LIMITS = {"memory_mb": 2048, "file_size_mb": 16, "open_files": 512, "cpu_seconds": 120,
                  "scratch_mb": 64}
_PROJECT = Path(__file__).resolve().parent.parent
HIDDEN_FROM_STUDENTS = [_PROJECT / "solutions", _PROJECT / "tests", _PROJECT / "grader" / "suites"]


@dataclass
class Failure:
    """Why a worker gave no answer: it ran out of time, or it died."""

    kind: str  # "timeout" | "crash" | "garbled"
    seconds: float
    detail: str


class Zygote:
    """The fork server process (see ``grader._child.zygote``)."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        package_root = str(Path(__file__).resolve().parent.parent)
        paths = [package_root, sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
        boot = (f"import sys; sys.path[:0] = {paths!r}; "
                f"from grader._child.zygote import main; main({theirs.fileno()})")
        # -I -S: no environment variables, no user site, no .pth files: only what we name.
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", boot], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                           "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"},
            start_new_session=True,
        )
        theirs.close()
        self.sock = ours
        self._buffer = b""

    def order(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        socket.send_fds(self.sock, [json.dumps(message).encode()], fds or [])
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the grader's fork server stopped unexpectedly")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        try:
            socket.send_fds(self.sock, [json.dumps({"op": "shutdown"}).encode()], [])
        except OSError:
            pass
        self.sock.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Worker:
    """One sandboxed process holding one student module."""

    def __init__(self, zygote: Zygote, slug: str, path: Path, limits: dict[str, Any],
                 confinement: dict[str, Any]) -> None:
        self.zygote, self.slug = zygote, slug
        requests_r, requests_w = os.pipe()
        answers_r, answers_w = os.pipe()
        self.log = tempfile.TemporaryFile()
        scratch = self.scratch = tempfile.mkdtemp(prefix=f"{slug}-", dir=path.parent)
        reply = zygote.order(
            {"op": "spawn", "slug": slug, "path": str(path), "limits": limits, "scratch": scratch,
             **confinement},
            [requests_r, answers_w, self.log.fileno()])
        os.close(requests_r)
        os.close(answers_w)
        self.pid: int = reply["pid"]
        self.requests = requests_w
        self.answers = answers_r
        self._buffer = b""
        self.alive = True
        self.hello: dict[str, Any] | Failure | None = None

    def ready(self, time_limit: float) -> dict[str, Any] | Failure:
        """The worker's first line: whether the student module imported."""
        if self.hello is None:
            hello = self._read(time_limit, time.monotonic())
            if isinstance(hello, dict) and hello.get("ready") is not True:
                self.kill()
                hello = Failure("garbled", 0.0, "the submission's process wrote to the grader's "
                                "channel before it was ready")
            self.hello = hello
        return self.hello

    def run(self, scenario: str, args: dict[str, Any], time_limit: float) -> dict[str, Any] | Failure:
        started = time.monotonic()
        hello = self.ready(time_limit)
        if isinstance(hello, Failure):
            return hello
        # Unguessable, so that code in the child cannot answer a question before it is asked.
        request_id = secrets.token_hex(8)
        try:
            os.write(self.requests, json.dumps(
                {"id": request_id, "scenario": scenario, "args": args}).encode() + b"\n")
        except OSError:
            return self._fail("crash", started)
        answer = self._read(time_limit, started)
        if isinstance(answer, dict) and answer.get("id") != request_id:
            self.kill()
            return Failure("garbled", time.monotonic() - started,
                           "the submission's process sent an answer that was not asked for")
        return answer

    def _read(self, time_limit: float, started: float) -> dict[str, Any] | Failure:
        deadline = started + time_limit
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._fail("timeout", started)
            ready, _, _ = select.select([self.answers], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self.answers, 1 << 16)
            if not chunk:
                return self._fail("crash", started)
            self._buffer += chunk
            if len(self._buffer) > MAX_ANSWER_BYTES:
                self.kill()
                return Failure("garbled", time.monotonic() - started,
                               "the submission's process sent more than 4 MiB in one answer")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.kill()
            return Failure("garbled", time.monotonic() - started,
                           "the submission's process wrote something that is not an answer")
        return answer

    def _fail(self, kind: str, started: float) -> Failure:
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
                self.zygote.order({"op": "kill", "pid": self.pid})
            except (OSError, RuntimeError):  # no fork server to ask: kill its group ourselves
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


def allowed_paths(modules: dict[str, Path]) -> set[str]:
    """All a worker may see: the system, the Python it runs on with its packages, the
    grader's package (its suites are hidden on top), and the submission's private copy."""
    from ._child.confine import SYSTEM_PATHS

    paths = set(SYSTEM_PATHS)
    paths.update({sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix})
    paths.update(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib"))
    paths.add(str(_PROJECT / "grader"))
    paths.update(str(p.parent) for p in modules.values())
    return {p for p in paths if p and os.path.isabs(p)}


class Sandbox:
    """All workers for one submission. A dead or killed worker is replaced on next use."""

    def __init__(self, modules: dict[str, Path], limits: dict[str, Any] | None = None, *,
                 confine: bool = True, hide: list[Path] | None = None,
                 submitted: list[str] | None = None) -> None:
        self.modules = modules
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        # What the child must not read: the solutions, the hidden suites, the project's tests.
        hidden = [*(hide or []), *HIDDEN_FROM_STUDENTS]
        self.confinement = {"confine": confine, "hide": sorted({str(p) for p in hidden}),
                            "allow": sorted(allowed_paths(modules)),
                            # module names of the submission's other files, refused by name
                            "submitted": sorted(submitted or [])}
        self.zygote = Zygote()
        self.workers: dict[str, Worker] = {}
        # A module whose import hangs would hang every fresh worker: remember, and fail fast.
        self.import_hangs: dict[str, Failure] = {}

    def start(self, slugs: list[str]) -> None:
        """Fork every worker at once, so student modules import side by side."""
        for slug in slugs:
            self.worker(slug)

    def ready(self, slug: str, time_limit: float) -> dict[str, Any] | Failure:
        """Whether the slug's module imported in its worker (forking one if needed)."""
        if slug in self.import_hangs:
            return self.import_hangs[slug]
        hello = self.worker(slug).ready(time_limit)
        if isinstance(hello, Failure) and hello.kind == "timeout":
            self.import_hangs[slug] = hello
        return hello

    def worker(self, slug: str) -> Worker:
        current = self.workers.get(slug)
        if current is None or not current.alive:
            try:
                current = Worker(self.zygote, slug, self.modules[slug], self.limits,
                                 self.confinement)
            except (OSError, RuntimeError):
                # Student code found and killed the fork server: start another one, go on.
                self.zygote.close()
                self.zygote = Zygote()
                current = Worker(self.zygote, slug, self.modules[slug], self.limits,
                                 self.confinement)
            self.workers[slug] = current
        return current

    def close(self) -> None:
        for worker in self.workers.values():
            worker.kill()
        self.zygote.close()
