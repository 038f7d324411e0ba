"""A fork server: pays the interpreter's start-up once, then forks a fresh worker per exercise.

The zygote itself never runs student code. It imports the instruments and the
scenarios, then waits for the parent's orders on a Unix socket: ``spawn`` (with the
worker's pipes passed as file descriptors), ``kill`` and ``shutdown``. It is a child
subreaper, so whatever a worker's processes leave behind is adopted by it and killed.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: no subreaper, the parent's group kill remains
        pass


def _descendants_of(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _start_worker(order: dict[str, Any], fds: list[int], sock: socket.socket) -> int:
    requests_fd, answers_fd, log_fd = fds
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    try:  # the worker
        os.setsid()
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(devnull)
        os.close(log_fd)
        from . import limits, worker

        _enter_scratch(order["scratch"])
        limits.apply(order.get("limits", {}))
        worker.serve(order["slug"], order["path"], requests_fd, answers_fd)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)


def _enter_scratch(scratch: str) -> None:
    """Work in a private, empty folder: relative paths lead nowhere of the grader's."""
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    os.chdir(scratch)
    os.environ.update({"HOME": scratch, "TMPDIR": scratch})


def main(fd: int) -> None:
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    sock = socket.socket(fileno=fd)
    from . import worker

    worker.prepare()
    workers: set[int] = set()
    while True:
        message, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
        if not message:
            break
        order = json.loads(message)
        _reap()
        if order["op"] == "spawn":
            pid = _start_worker(order, fds, sock)
            workers.add(pid)
            reply: dict[str, Any] = {"pid": pid}
        elif order["op"] == "kill":
            pid = order["pid"]
            doomed = [pid, *_descendants_of(pid)]
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _kill(doomed)
            workers.discard(pid)
            # Orphans of any worker were adopted by this subreaper; only workers may stay.
            _kill([p for p in _descendants_of(os.getpid()) if p not in workers])
            reply = {"killed": pid}
        else:
            break
        _reap()
        sock.sendall(json.dumps(reply).encode() + b"\n")
    _kill(_descendants_of(os.getpid()))
    _reap()
    sys.exit(0)
