"""A fork server: pays the interpreter's start-up once, then forks a fresh worker per exercise.

The zygote itself never runs student code. It imports the instruments and the
scenarios, then waits for the parent's orders on a Unix socket: ``spawn`` (with the
worker's pipes passed as file descriptors), ``kill`` and ``shutdown``. It is a child
subreaper, so whatever a worker's processes leave behind is adopted by it and killed.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import select
import signal
import socket
import sys

from grader._wire import Kill, Killed, SandboxReport, Spawn, Spawned, decode_order, encode

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: no subreaper, the parent's group kill remains
        pass


def _descendants_of(pid: int, recursive: bool = True) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=recursive)]
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


def _start_worker(order: Spawn, cgroup: str | None, fds: list[int],
                  clients: list[socket.socket]) -> int:
    requests_fd, answers_fd, log_fd = fds
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    try:  # the worker
        os.setsid()
        for sock in clients:  # no worker holds a way to give the fork server orders
            sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(devnull)
        os.close(log_fd)
        from . import confine, limits, worker

        done: list[str] = []
        missing: list[str] = []
        if order.confine:
            confine.limit_processes(cgroup, order.limits.max_pids, done, missing)
            if confine.enter_namespaces(done, missing):
                _become_pid_one(requests_fd, answers_fd)
            confine.build_root(order.scratch, order.allow, order.hide, done, missing)
        _enter_scratch(order.scratch)
        done.append(limits.apply(order.limits))
        report = confine.report(done, missing)
        worker.serve(order.slug, order.path, requests_fd, answers_fd,
                     SandboxReport(report["applied"], report["missing"]) if report else None,
                     order.submitted)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)


def _become_pid_one(*fds: int) -> None:
    """Fork into the new PID namespace; this process stays outside only to mirror its end."""
    child = os.fork()
    if child == 0:
        from . import confine

        confine.die_with_parent(signal.SIGKILL)
        return
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(child, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _enter_scratch(scratch: str) -> None:
    """Work in a private, empty folder: relative paths lead nowhere of the grader's."""
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    os.chdir(scratch)
    os.environ.update({"HOME": scratch, "TMPDIR": scratch})


class _ProcessLimit:
    """A pids cgroup per worker when root (cgroup v1 or v2); None where there is none."""

    def __init__(self, max_pids: int) -> None:
        self.max_pids = max_pids
        self.base = self._find_base()

    @staticmethod
    def _find_base() -> str | None:
        if os.geteuid() != 0:
            return None
        for base in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
            try:
                if base == "/sys/fs/cgroup":
                    with open(f"{base}/cgroup.subtree_control", "w") as f:
                        f.write("+pids")
                path = f"{base}/aiograde-{os.getpid()}"
                os.makedirs(path, exist_ok=True)
                return path
            except OSError:
                continue
        return None

    def make(self, name: str) -> str | None:
        if self.base is None:
            return None
        path = f"{self.base}/{name}"
        try:
            os.makedirs(path, exist_ok=True)
            with open(f"{path}/pids.max", "w") as f:
                f.write(str(self.max_pids))
            return path
        except OSError:
            return None

    def remove(self, path: str | None) -> None:
        if path is None:
            return
        for _ in range(50):
            try:
                with open(f"{path}/cgroup.procs") as f:
                    pids = [int(p) for p in f.read().split()]
            except OSError:
                return
            _kill(pids)
            try:
                os.rmdir(path)
                return
            except OSError:
                _reap()
                import time

                time.sleep(0.01)

    def close(self) -> None:
        if self.base is not None:
            for name in os.listdir(self.base):
                if os.path.isdir(f"{self.base}/{name}"):
                    self.remove(f"{self.base}/{name}")
            try:
                os.rmdir(self.base)
            except OSError:
                pass


def main(*client_fds: int) -> None:
    """Serve orders from each of ``client_fds`` (one socket per grader process that shares
    this fork server) until a shutdown order, or until every client has hung up."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    clients = [socket.socket(fileno=fd) for fd in client_fds]
    from . import worker

    worker.prepare()
    workers: set[int] = set()
    cgroups: dict[int, str | None] = {}
    numbers = itertools.count()  # cgroup names are never reused: a live worker may hold one
    process_limit: _ProcessLimit | None = None
    while clients:
        sock = select.select(clients, [], [])[0][0]
        message, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
        if not message:
            clients.remove(sock)
            sock.close()
            continue
        order = decode_order(message)
        _reap()
        reply: Spawned | Killed
        if isinstance(order, Spawn):
            cgroup = None
            if order.confine:
                process_limit = process_limit or _ProcessLimit(order.limits.max_pids)
                cgroup = process_limit.make(f"w{next(numbers)}")
            pid = _start_worker(order, cgroup, fds, clients)
            workers.add(pid)
            cgroups[pid] = cgroup
            reply = Spawned(pid)
        elif isinstance(order, Kill):
            pid = order.pid
            doomed = [pid, *_descendants_of(pid)]
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _kill(doomed)
            workers.discard(pid)
            if process_limit is not None:
                process_limit.remove(cgroups.pop(pid, None))
            # Orphans of any worker were adopted by this subreaper, as its own children;
            # of those, only workers may stay.
            _kill([p for p in _descendants_of(os.getpid(), recursive=False) if p not in workers])
            reply = Killed(pid)
        else:
            break
        _reap()
        sock.sendall(encode(reply))
    _kill(_descendants_of(os.getpid()))
    _reap()
    if process_limit is not None:
        process_limit.close()
    sys.exit(0)
