"""Confine a worker with what Linux offers, without root and without Docker.

Each mechanism is tried on its own; what is unavailable is reported back (the parent
prints one warning), never silently assumed:

- namespaces: a user namespace when not root (so the rest needs no privilege), a
  mount namespace, a network namespace holding only a loopback interface that is up
  (the streams exercise needs 127.0.0.1, nothing else), an IPC namespace, and a PID
  namespace whose first process runs the student's code: when it dies, the kernel
  kills every process it left behind, daemonised or not, and no process outside is
  visible to signal;
- a file system view: every mount read-only, the solutions, the hidden suites, the
  project's tests and the submissions folder hidden under empty read-only tmpfs, and
  one private scratch folder writable;
- cgroups when root: a process limit (``RLIMIT_NPROC`` does not bind root) and one
  memory limit for the worker with all its processes and its scratch;
- a scratch folder on a size-limited tmpfs of the worker's own mount namespace.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import signal
import socket
import struct
import threading
from typing import Any

from grader._wire import Limits

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
CLONE_NEWPID, CLONE_NEWIPC = 0x20000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
_LOCKED_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
                 "noatime": MS_NOATIME, "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME,
                 "strictatime": MS_STRICTATIME}
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _c(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(_c(source), _c(target), _c(fstype), ctypes.c_ulong(flags), _c(data)),
           f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def _mounts() -> list[tuple[str, int]]:
    """Mount points with the flags a remount must keep (the kernel locks them in a user ns)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4].replace("\\040", " ")
            flags = 0
            for option in fields[5].split(","):
                flags |= _LOCKED_FLAGS.get(option, 0)
            found.append((point, flags))
    return sorted(found, key=lambda m: m[0].count("/"))


def limit_processes(cgroups: dict[str, str], max_pids: int, done: list[str],
                    missing: list[str]) -> None:
    """Root: a pids cgroup (RLIMIT_NPROC does not bind root). Others: RLIMIT_NPROC, which
    counts every process of the user, so it is set above what the user runs already."""
    if os.geteuid() != 0:
        import resource

        mine = sum(1 for pid in os.listdir("/proc") if pid.isdigit() and _owned(pid))
        _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
        soft = mine + max_pids if hard == resource.RLIM_INFINITY else min(mine + max_pids, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (soft, hard))
            done.append("process limit (RLIMIT_NPROC)")
        except (ValueError, OSError) as exc:
            missing.append(f"process limit ({exc})")
        return
    _join(cgroups.get("pids"), "process limit (cgroup pids.max)", "process limit", done, missing)


def limit_memory(cgroups: dict[str, str], done: list[str], missing: list[str]) -> None:
    """One memory limit for the worker and every process it starts (RLIMIT_AS counts each
    process on its own: forked children could each take that much)."""
    if os.geteuid() != 0:
        missing.append("memory limit per worker (a memory cgroup needs root): each process "
                       "is limited on its own (RLIMIT_AS)")
        return
    _join(cgroups.get("memory"), "memory limit per worker, its children and its scratch "
          "included (memory cgroup)", "memory limit per worker", done, missing)


def _join(cgroup: str | None, applied: str, what: str, done: list[str],
          missing: list[str]) -> None:
    if not cgroup:
        missing.append(f"{what} (no cgroup available to root)")
        return
    try:
        _write(os.path.join(cgroup, "cgroup.procs"), str(os.getpid()))
        done.append(applied)
    except OSError as exc:
        missing.append(f"{what} (cgroup: {exc.strerror})")


def scratch_on_tmpfs(scratch: str, limits: Limits, done: list[str],
                     missing: list[str]) -> None:
    """The scratch folder becomes a tmpfs of this worker's mount namespace: bounded in size
    (and charged to the worker's memory cgroup), invisible to the machine, and gone with
    the namespace when the worker's last process ends, whatever was written into it."""
    try:
        _mount_scratch(scratch, limits)
        done.append(_scratch_done(limits))
    except OSError as exc:
        missing.append(f"scratch on a size-limited tmpfs ({exc.strerror}): the submission "
                       "writes to the machine's disk, each file limited")


def _mount_scratch(scratch: str, limits: Limits) -> None:
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={limits.scratch_mb}m,nr_inodes=8192,mode=700,uid={os.getuid()},"
           f"gid={os.getgid()}")


def _scratch_done(limits: Limits) -> str:
    return f"scratch: a private tmpfs of {limits.scratch_mb} MiB, gone with the worker"


def _owned(pid: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID
# clone's number, on the machines where its arguments are (flags, stack, parent_tid,
# child_tid, tls): elsewhere a worker takes the two processes of enter_namespaces.
_SYS_CLONE = {"x86_64": 56}
# A foreign call that keeps the GIL, as os.fork does: the child must find it held.
_syscall_holding_the_gil = ctypes.PyDLL(None, use_errno=True).syscall
_syscall_holding_the_gil.restype = ctypes.c_long
_libc.pthread_self.restype = ctypes.c_void_p
_python = ctypes.pythonapi
for _hook in (_python.PyOS_BeforeFork, _python.PyOS_AfterFork_Parent,
              _python.PyOS_AfterFork_Child):
    _hook.restype = None


@functools.cache
def _tid_field() -> int | None:
    """Where the C library keeps the calling thread's kernel id (its thread descriptor's
    ``tid``, which fork sets in the child and a bare clone does not), found by its value;
    None unless it is found exactly once. (Asked by the fork server's one thread only.)"""
    base = _libc.pthread_self()
    words = (ctypes.c_int32 * 512).from_address(base)
    found = [i for i, word in enumerate(words) if word == threading.get_native_id()]
    return base + 4 * found[0] if len(found) == 1 else None


def fork_into_namespaces() -> int | None:
    """``os.fork()`` whose child starts in new namespaces (``NAMESPACES``): the first
    process of its own PID namespace, in a user namespace that owns the others. None when
    it is not done here (not root; the kernel refuses, no user namespaces; another
    machine): then fork and ``enter_namespaces``.

    One process where unsharing takes two (``unshare`` moves only a process's later
    children into a new PID namespace, so the first child would have to fork again and
    stay outside to wait): a worker's life costs a fork, its copy-on-write faults and an
    exit less. It is what os.fork does, with ``clone`` for ``fork``: the interpreter's
    fork hooks run around it, and the child's thread descriptor gets its own kernel id
    (the C library reads it for the thread's CPU clock). The fork server that calls it has
    one thread, so no lock of the C library's can be held by another at that moment."""
    # Root only: its process limit is a cgroup, joined after the clone. Others have
    # RLIMIT_NPROC, which must be set before the user namespace is made (the namespace
    # takes its ceiling from its maker's limit then), so they take the two steps.
    if os.geteuid() != 0:
        return None
    number, field = _SYS_CLONE.get(os.uname().machine), _tid_field()
    if number is None or field is None:
        return None
    _python.PyOS_BeforeFork()
    pid = _syscall_holding_the_gil(ctypes.c_long(number),
                                   ctypes.c_ulong(NAMESPACES | signal.SIGCHLD),
                                   None, None, None, None)  # no stack of its own, as fork
    if pid == 0:
        ctypes.c_int32.from_address(field).value = threading.get_native_id()
        _python.PyOS_AfterFork_Child()
        return 0
    _python.PyOS_AfterFork_Parent()
    return pid if pid > 0 else None


def enter_namespaces(done: list[str], missing: list[str]) -> bool:
    """Unshare what we can; True when a new PID namespace awaits the next fork."""
    ids = os.getuid(), os.getgid()
    try:
        # A user namespace even for root: root inside it (mapped to itself) keeps its files
        # but holds no power over the machine (no mounting devices, no modules, no raw I/O).
        _unshare(NAMESPACES)
    except OSError as exc:
        missing.append(f"namespaces ({exc.strerror}): no network or file system isolation, "
                       "no PID namespace")
        return False
    settle_namespaces(ids, done, missing)
    return True


def _map_ids(uid: int, gid: int, done: list[str], missing: list[str]) -> None:
    """In a new user namespace: the user and group this process had outside, mapped to
    themselves."""
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        done.append("user namespace")
    except OSError as exc:
        missing.append(f"user namespace mapping ({exc.strerror})")


def settle_namespaces(ids: tuple[int, int], done: list[str], missing: list[str]) -> None:
    """Once in new namespaces: ``ids`` (the user and group outside) mapped, the loopback
    up, mounts private."""
    _map_ids(*ids, done, missing)
    try:
        _loopback_up()
        done.append("network: loopback only")
    except OSError as exc:
        missing.append(f"loopback in the network namespace ({exc.strerror}): no network at all")
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        missing.append(f"private mounts ({exc.strerror})")
    done.append("PID namespace")


_ARCH_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
MNT_DETACH = 2
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]


def _flags_for(path: str, mounts: list[tuple[str, int]]) -> int:
    """The locked flags of the mount that holds ``path``."""
    best, flags = "", 0
    for point, point_flags in mounts:
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, flags = point, point_flags
    return flags


def _bind(path: str, new_root: str, mounts: list[tuple[str, int]], writable: bool) -> None:
    target = new_root + path
    if os.path.islink(path):  # e.g. /bin -> usr/bin: the same link, not a copy of its target
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()  # an empty mount point
    _mount(path, target, None, MS_BIND)
    if not writable:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _flags_for(path, mounts))


def _pivot_root(new_root: str) -> None:
    number = _ARCH_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(0, f"pivot_root: unknown machine {os.uname().machine}")
    os.chdir(new_root)
    _check(_libc.syscall(number, b".", b"."), "pivot_root")  # the old root ends up under "."
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def build_root(scratch: str, allow: list[str], hide: list[str], done: list[str],
               missing: list[str]) -> None:
    """Run in the PID namespace's first process, before student code is imported: a new
    root holding only what is allowed (read-only) and the scratch folder (writable).

    An allowlist, not a denylist: a copy of the solutions elsewhere on the machine (another
    checkout, a colleague's home) is simply not there."""
    mounts = _mounts()
    new_root = scratch.rstrip("/") + ".root"
    try:
        os.makedirs(new_root, exist_ok=True)
        _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=4m")
        os.makedirs(new_root + "/tmp")
        _mount_own_tmp(new_root)  # (first: the submission's own folder is bound inside it)
        _lay_out(new_root, allow, mounts)
        _bind(scratch, new_root, mounts, writable=True)
        _enter_root(new_root, hide, done)
    except OSError as exc:
        missing.append(f"a minimal file system view ({exc.strerror or exc}): the submission "
                       "sees the machine's files, read-only, but for the folders hidden")
        _read_only_view(scratch, hide, done, missing)


def _lay_out(new_root: str, allow: list[str], mounts: list[tuple[str, int]]) -> None:
    """What every worker's root holds alike: the allowed folders, read-only, and a /dev of
    the usual character devices (nothing the machine has besides), read-only too."""
    _bind_read_only([p for p in allow if os.path.lexists(p)], new_root, mounts)
    os.makedirs(new_root + "/dev")
    _mount("tmpfs", new_root + "/dev", "tmpfs", MS_NOSUID, "mode=755,size=64k")
    for device in DEVICES:
        if os.path.exists(device):
            open(new_root + device, "a").close()
            _mount(device, new_root + device, None, MS_BIND)
    os.makedirs(new_root + "/dev/shm")
    _mount(None, new_root + "/dev", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID)
    os.makedirs(new_root + "/proc")


def _bind_read_only(paths: list[str], new_root: str, mounts: list[tuple[str, int]]) -> None:
    """Each folder bound at its own path under ``new_root``, read-only, outer ones first
    (a folder inside another is bound over the outer one's copy)."""
    for path in sorted({os.path.normpath(p) for p in paths}, key=lambda p: p.count("/")):
        _bind(path, new_root, mounts, writable=False)


def _mount_own_tmp(new_root: str) -> None:
    _mount("tmpfs", new_root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")


def _enter_root(new_root: str, hide: list[str], done: list[str], remount: int = 0) -> None:
    """The worker's own mounts of the root laid out (/dev/shm, the /proc of its PID
    namespace, empty covers on the hidden folders), then the root entered, read-only
    (``remount``: MS_BIND for a root the worker did not mount itself, whose flags alone it
    may set)."""
    _mount("tmpfs", new_root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m")
    _mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for path in hide:
        if os.path.isdir(new_root + path):
            _mount("tmpfs", new_root + path, "tmpfs",
                   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
    _pivot_root(new_root)
    _mount(None, "/", None, MS_REMOUNT | remount | MS_RDONLY | MS_NOSUID | MS_NODEV)
    done.append(ROOT_DONE)


ROOT_DONE = ("file system: only the Python runtime and system folders, read-only, and a "
             "writable scratch folder")


# Where each worker mounts a file system of its own in a shared root: an allowed folder in
# the first (the submission's own, the project when it lies in /tmp) is bound by each
# worker after its own /tmp; one in the others (or holding one) cannot be shared.
OWN_MOUNT_POINTS = ("/tmp", "/dev", "/proc")
# Where the fork server lays the shared root out, in its own mount namespace: a folder every
# machine has and neither a worker nor the server needs (FHS: for mounting a file system
# for a while). The machine's own /mnt is untouched, and nothing is left to remove.
SHARED_ROOT_AT = "/mnt"


def _meet(path: str, other: str) -> bool:
    """Whether one of the two folders holds the other (or they are the same)."""
    return path == other or path.startswith(other.rstrip("/") + "/") \
        or other.startswith(path.rstrip("/") + "/")


def _in_own_tmp(path: str) -> bool:
    return path.startswith(OWN_MOUNT_POINTS[0] + "/")


class SharedRoot:
    """The part of every worker's root that is alike (``_lay_out``), built once in the fork
    server's own mount namespace instead of by every worker (about 45 mounts, 200 ``stat``
    calls, 1.5 ms of a worker's start). A worker made by ``fork_into_namespaces`` starts
    with a copy of it: it adds its own /tmp, the allowed folders in /tmp (the submission's
    own among them) read-only, its scratch (a tmpfs), /dev/shm and /proc, and enters it.

    Root only, as the one-clone start it serves (``fork_into_namespaces``). What the
    copies share is read-only: the root's tmpfs and its /dev are read-only file systems,
    which the kernel does not let a worker's user namespace remount."""

    def __init__(self, folder: str = SHARED_ROOT_AT) -> None:
        self.folder = folder
        self.allow: frozenset[str] | None = None  # what it was laid out for; None: none yet
        self.mounts: list[tuple[str, int]] = []
        self.broken = False

    def serves(self, own: str, allow: list[str]) -> bool:
        """Whether a worker of the submission in folder ``own`` (in /tmp), allowed ``allow``,
        can start from this shared root: laid out now if it was not yet."""
        allowed = {os.path.normpath(p) for p in allow}
        shared = frozenset(p for p in allowed if not _in_own_tmp(p))
        if self.broken or not _in_own_tmp(own):
            return False
        if self.allow is None:  # (what a laid-out root was checked for holds for its copies)
            if os.geteuid() != 0 or os.path.islink(self.folder) \
                    or not os.path.isdir(self.folder) \
                    or any(_meet(p, m) for p in shared for m in OWN_MOUNT_POINTS) \
                    or any(_meet(p, self.folder) for p in allowed):
                return False
            try:
                self._build(shared)
            except OSError:
                self.broken = True  # each worker builds its own root, as without one
                return False
            self.allow = shared
        return shared == self.allow

    def _build(self, allow: frozenset[str]) -> None:
        # A mount namespace of the fork server's own, its mounts private: nothing laid out
        # here is seen by the machine, nor anything the machine mounts later by the workers.
        _unshare(CLONE_NEWNS)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        self.mounts = _mounts()
        root = self.folder
        _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=4m")
        os.makedirs(root + "/tmp")
        _lay_out(root, list(allow), self.mounts)
        _mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    def enter(self, allow: list[str], scratch: str, limits: Limits, hide: list[str],
              done: list[str]) -> bool:
        """In a worker cloned from the fork server: its own mounts added to its copy of the
        shared root (with the folders of ``allow`` that lie in /tmp), and the root entered.
        False if that could not be done (the worker is then still in the machine's view:
        it builds a root of its own)."""
        root = self.folder
        try:
            # A copy of the shared root, made here: the kernel enters no root (pivot_root)
            # that came with the namespace (its mounts are locked to it).
            _mount(root, root, None, MS_BIND | MS_REC)
            _mount_own_tmp(root)
            _bind_read_only([p for p in allow if _in_own_tmp(os.path.normpath(p))
                             and os.path.lexists(p)], root, self.mounts)
            _mount_scratch(root + scratch, limits)
            _enter_root(root, hide, [], remount=MS_BIND)
        except OSError:
            return False
        done += [_scratch_done(limits), ROOT_DONE]
        return True


def _read_only_view(scratch: str, hide: list[str], done: list[str], missing: list[str]) -> None:
    """The second line: the machine's files, all read-only, some folders hidden."""
    try:  # first, a /proc of this PID namespace: nothing may look at the machine's processes
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError as exc:
        missing.append(f"a private /proc ({exc.strerror})")
    try:
        _mount(scratch, scratch, None, MS_BIND)  # its own mount, left writable below
        for point, flags in _mounts():
            if point == "/proc" or point.startswith("/proc/") or point == scratch:
                continue
            try:
                _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
            except OSError:
                if point == "/":
                    raise
        for path in hide:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "size=4k,mode=000")
        done.append("file system read-only but a scratch folder, the solutions and suites hidden")
    except OSError as exc:
        missing.append(f"read-only file system view ({exc.strerror}): the submission can write "
                       "wherever its user can")


def die_with_parent(signal_number: int) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0)


def report(done: list[str], missing: list[str]) -> dict[str, Any]:
    return {"applied": done, "missing": missing}
