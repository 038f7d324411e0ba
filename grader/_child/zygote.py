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
import time

from grader._wire import Kill, Killed, SandboxReport, Spawn, Spawned, decode_order, encode

from . import confine
from . import limits as resource_limits  # (here, once: a worker would read and run it anew)

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


def _holds(cgroup: dict[str, str], pid: int) -> bool:
    """Whether ``pid`` is in the worker's cgroup (it joins before starting anything)."""
    for path in cgroup.values():
        try:
            with open(f"{path}/cgroup.procs") as f:
                return str(pid) in f.read().split()
        except OSError:
            continue
    return False


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _start_worker(orders: list[Spawn], cgroup: dict[str, str], fds: list[int],
                  clients: list[socket.socket], shared: confine.SharedRoot | None) -> int:
    """Fork a worker for the one order in ``orders`` (a list, which the worker empties);
    ``shared``: the shared root it starts from, if it is cloned (else it builds its own)."""
    requests_fd, answers_fd, log_fd = fds
    ids = os.getuid(), os.getgid()  # (as they are outside the namespaces)
    # Confined, the worker starts in namespaces of its own when the kernel allows it.
    pid = confine.fork_into_namespaces() if orders[0].confine else None
    in_namespaces = cloned = pid == 0
    if pid is None:
        pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    try:  # the worker
        # Read the orders, then empty them: the frames below student code (this one and
        # main's) hold no host paths, hidden folders or limits for it to walk up to.
        order = orders.pop()
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
        from . import worker

        done: list[str] = []
        missing: list[str] = []
        if order.confine:
            if in_namespaces:
                # The first process of its PID namespace: when it dies, so does all it
                # started. It dies with the fork server (it is its child).
                confine.die_with_parent(signal.SIGKILL)
                confine.settle_namespaces(ids, done, missing)
            # (in a user namespace, joined once its ids are mapped: root's again)
            confine.limit_processes(cgroup, order.limits.max_pids, done, missing)
            confine.limit_memory(cgroup, done, missing)
            if not in_namespaces and confine.enter_namespaces(done, missing):
                _become_pid_one(requests_fd, answers_fd)
                in_namespaces = True
            if not (cloned and shared is not None and shared.enter(
                    order.allow, order.scratch, order.limits, order.hide, done)):
                if in_namespaces:
                    confine.scratch_on_tmpfs(order.scratch, order.limits, done, missing)
                else:
                    missing.append("scratch on a size-limited tmpfs (no mount namespace): "
                                   "the submission writes to the machine's disk, each file "
                                   "limited")
                confine.build_root(order.scratch, order.allow, order.hide, done, missing)
        _enter_scratch(order.scratch)
        done.append(resource_limits.apply(order.limits))
        report = confine.report(done, missing)
        slug, path, submitted = order.slug, order.path, order.submitted
        del order, cgroup, shared  # nothing of the orders stays in a frame student code walks to
        worker.serve(slug, path, requests_fd, answers_fd,
                     SandboxReport(report["applied"], report["missing"]) if report else None,
                     submitted)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)


def _become_pid_one(*fds: int) -> None:
    """Fork into the new PID namespace; this process stays outside only to mirror its end."""
    child = os.fork()
    if child == 0:
        # A process group of its own: a submission's kill(0) or killpg reaches only its own
        # processes, never this outer one (whose end would kill it only a moment later, a
        # race). The namespace's first process ignores SIGKILL sent from inside it.
        os.setpgid(0, 0)
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


class _Cgroups:
    """Per-worker cgroups when root (v1 or v2): ``pids.max`` for its processes and a memory
    limit for the worker with everything it starts (its scratch tmpfs included), which
    RLIMIT_AS, counted per process, cannot give. Each controller found is used on its own;
    none is assumed."""

    CONTROLLERS = ("pids", "memory")
    PREFIX = "aiograde-"  # a fork server's own cgroup: PREFIX + its pid
    # A killed worker's cgroup can be removed once its processes have exited, within a
    # millisecond or two: look that often (a grader process waits for the removal).
    REMOVE_EVERY, REMOVE_TRIES = 0.001, 500
    SWEEP_TRIES = 20  # for what a dead fork server left: no start-up waits long on it

    def __init__(self, max_pids: int, memory_bytes: int | None) -> None:
        self.max_pids, self.memory_bytes = max_pids, memory_bytes
        self.bases: dict[str, str] = {}
        self.emptied: list[dict[str, str]] = []  # cgroups of ended workers, for the next
        if os.geteuid() == 0:
            for controller in self.CONTROLLERS:
                base = self._find_base(controller)
                if base is not None:
                    self.bases[controller] = base

    @staticmethod
    def _own_path(controller: str) -> str:
        """This process's cgroup for the controller (v1 line, else the v2 ``0::`` line)."""
        try:
            with open("/proc/self/cgroup") as f:
                lines = [line.rstrip("\n").split(":", 2) for line in f]
        except OSError:
            return "/"
        for _number, names, path in lines:
            if controller in names.split(","):
                return path
        return next((path for number, _, path in lines if number == "0"), "/")

    def _find_base(self, controller: str) -> str | None:
        v1 = f"/sys/fs/cgroup/{controller}"
        candidates = [(v1 + self._own_path(controller), False)] if os.path.isdir(v1) else []
        candidates.append(("/sys/fs/cgroup", True))
        for parent, v2 in candidates:
            self._sweep(parent.rstrip("/"))
            path = f"{parent.rstrip('/')}/{self.PREFIX}{os.getpid()}"
            try:
                if v2:
                    with open("/sys/fs/cgroup/cgroup.controllers") as f:
                        if controller not in f.read().split():
                            continue
                    _write_file(f"{parent}/cgroup.subtree_control", f"+{controller}")
                os.makedirs(path, exist_ok=True)
                if v2:
                    _write_file(f"{path}/cgroup.subtree_control", f"+{controller}")
                return path
            except OSError:
                continue
        return None

    @classmethod
    def _sweep(cls, parent: str) -> None:
        """Remove what fork servers that died without closing (killed, by a submission or
        by an interrupted run) left in ``parent``: their cgroups, and any process still in
        them. A fork server's cgroup is named after its pid, and one still alive keeps its
        own. (Left behind, they pile up, run after run, and the machine's cgroup
        operations slow down.)"""
        try:
            names = os.listdir(parent)
        except OSError:
            return
        for name in names:
            owner = name.removeprefix(cls.PREFIX)
            if name == owner or not owner.isdigit() or os.path.exists(f"/proc/{owner}"):
                continue
            base = f"{parent}/{name}"
            try:
                workers = [f"{base}/{w}" for w in os.listdir(base) if os.path.isdir(f"{base}/{w}")]
            except OSError:
                continue
            for path in [*workers, base]:  # (what will not go now goes at a later sweep)
                cls._remove_one(path, tries=cls.SWEEP_TRIES)

    def _limits(self, controller: str, path: str) -> None:
        if controller == "pids":
            _write_file(f"{path}/pids.max", str(self.max_pids))
        elif self.memory_bytes is not None:
            v2 = os.path.exists(f"{path}/memory.max")
            _write_file(f"{path}/{'memory.max' if v2 else 'memory.limit_in_bytes'}",
                        str(self.memory_bytes))
            # No swap beyond the limit either, where the kernel accounts it.
            swap = f"{path}/{'memory.swap.max' if v2 else 'memory.memsw.limit_in_bytes'}"
            if os.path.exists(swap):
                try:
                    _write_file(swap, "0" if v2 else str(self.memory_bytes))
                except OSError:
                    pass

    def make(self, name: str) -> dict[str, str]:
        """The worker's cgroup per controller (those that could be made and limited): an
        emptied one of an earlier worker's if there is one (see ``remove``)."""
        if self.emptied:
            return self.emptied.pop()
        made = {}
        for controller, base in self.bases.items():
            path = f"{base}/{name}"
            try:
                os.makedirs(path, exist_ok=True)
                self._limits(controller, path)
                made[controller] = path
            except OSError:
                self.remove({controller: path})
        return made

    def remove(self, paths: dict[str, str] | None) -> None:
        """End a worker's cgroups and everything in them. Emptied, they are kept for a
        later worker (same limits): a memory cgroup removed lingers in the kernel as long
        as memory is charged to it, and a day of gradings leaves thousands."""
        if paths and all(self._empty(path) for path in paths.values()):
            self.emptied.append(paths)
            return
        for path in (paths or {}).values():
            self._remove_one(path)

    @classmethod
    def _empty(cls, path: str, tries: int = REMOVE_TRIES) -> bool:
        """Kill what is in the cgroup until nothing is; False if that does not happen (or
        there is no such cgroup)."""
        for _ in range(tries):
            try:
                with open(f"{path}/cgroup.procs") as f:
                    pids = [int(p) for p in f.read().split()]
            except OSError:
                return False
            if not pids:
                return True
            _kill(pids)
            _reap()
            time.sleep(cls.REMOVE_EVERY)
        return False

    @classmethod
    def _remove_one(cls, path: str, tries: int = REMOVE_TRIES) -> None:
        for _ in range(tries):
            if not cls._empty(path, tries):
                return  # no such cgroup, or something in it would not die
            try:
                os.rmdir(path)
                return
            except OSError:  # (emptied a moment before its last process had fully exited)
                _reap()
                time.sleep(cls.REMOVE_EVERY)

    def close(self) -> None:
        for base in self.bases.values():
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for name in names:
                if os.path.isdir(f"{base}/{name}"):
                    self._remove_one(f"{base}/{name}")
            try:
                os.rmdir(base)
            except OSError:
                pass


def _write_file(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def main(*client_fds: int, trust: bool = True) -> None:
    """Serve orders from each of ``client_fds`` (one socket per grader process that shares
    this fork server) until a shutdown order, or until every client has hung up.
    ``trust``: the trust instruments in every worker (off only for bench/bench_trust.py)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    clients = [socket.socket(fileno=fd) for fd in client_fds]
    # looptime defines a pytest fixture when pytest imports: never in a worker, where it
    # would only add a hundred modules to the memory every worker is forked with.
    sys.modules.setdefault("pytest", None)  # type: ignore[arg-type]
    from . import worker

    worker.prepare(trust)
    workers: set[int] = set()
    cgroups: dict[int, dict[str, str]] = {}
    numbers = itertools.count()  # a new cgroup's name: never one a live worker may hold
    limits: _Cgroups | None = None
    shared = confine.SharedRoot()
    while clients:
        sock = select.select(clients, [], [])[0][0]
        received = socket.recv_fds(sock, 65536, 3)
        if not received[0]:
            clients.remove(sock)
            sock.close()
            continue
        order, fds = decode_order(received[0]), received[1]
        del received  # a worker forked below must find no copy of its orders in this frame
        _reap()
        reply: Spawned | Killed
        if isinstance(order, Spawn):
            cgroup: dict[str, str] = {}
            if order.confine:
                memory_mb = order.limits.memory_mb
                limits = limits or _Cgroups(order.limits.max_pids,
                                            memory_mb * 1024 * 1024 if memory_mb else None)
                cgroup = limits.make(f"w{next(numbers)}")
            laid_out = order.confine and shared.serves(os.path.dirname(order.path), order.allow)
            box = [order]
            del order  # the worker empties ``box``: its copy of this frame keeps no order
            pid = _start_worker(box, cgroup, fds, clients, shared if laid_out else None)
            workers.add(pid)
            cgroups[pid] = cgroup
            reply = Spawned(pid)
        elif isinstance(order, Kill):
            pid = order.pid
            cgroup = cgroups.pop(pid, {})
            # A worker's cgroup holds every process it started, daemons included: removing
            # it kills them all. Without one, look for them (a scan of every process).
            held = _holds(cgroup, pid)
            doomed = [pid] if held else [pid, *_descendants_of(pid)]
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            _kill(doomed)
            workers.discard(pid)
            if limits is not None:
                limits.remove(cgroup)
            if not held:
                # Orphans of the worker were adopted by this subreaper, as its own children;
                # of those, only workers may stay.
                _kill([p for p in _descendants_of(os.getpid(), recursive=False)
                       if p not in workers])
            reply = Killed(pid)
        else:
            break
        _reap()
        sock.sendall(encode(reply))
    _kill(_descendants_of(os.getpid()))
    _reap()
    if limits is not None:
        limits.close()
    sys.exit(0)
