"""A confined worker is the first process of namespaces of its own, made by one clone
(``confine.fork_into_namespaces``, as root), or, where the kernel refuses that (or not as
root), by a fork that unshares and forks again: either way in its own PID, user, network
and mount namespaces, in its own cgroups (root), with a thread descriptor that knows its
own kernel id. Cloned, it starts from the root the fork server laid out once for all its
workers (``confine.SharedRoot``): what they share is read-only, and the machine sees none
of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grader import _manifest, _submission
from grader._child import confine
from grader._sandbox import Failure, Sandbox, Zygote

ROOT = Path(__file__).resolve().parent.parent
SLUG = _manifest.load()[0].slug


class TwoStepZygote(Zygote):
    """A fork server on which a clone into new namespaces is refused, as where user
    namespaces cannot be made by clone."""

    BOOT = Zygote.BOOT + "; import grader._child.confine as c; c._SYS_CLONE.clear()"


def _status(pid: int, field: str) -> str:
    with open(f"/proc/{pid}/status") as f:
        return next(line.split(":", 1)[1].strip() for line in f if line.startswith(field + ":"))


def _worker_seen_from_outside(tmp_path: Path, zygote: Zygote) -> dict[str, object]:
    (tmp_path / "sub").mkdir()
    (tmp_path / "private").mkdir()
    (tmp_path / "sub" / f"{SLUG}.py").write_text("")
    found = _submission.read(tmp_path / "sub", [SLUG], tmp_path / "private")
    sandbox = Sandbox(found.modules, confine=True, zygote=zygote)
    try:
        hello = sandbox.ready(SLUG, 30)
        assert hello is not None and hello.confinement is not None, "no worker answered"
        pid = sandbox.workers[SLUG].pid
        if len(_status(pid, "NSpid").split()) == 1:  # two steps: the worker is its child
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                (pid,) = map(int, f.read().split())
        with open(f"/proc/{pid}/cgroup") as f:
            cgroups = f.read()
        return {
            "applied": hello.confinement.applied, "missing": hello.confinement.missing,
            "parent": int(_status(pid, "PPid")), "nspid": _status(pid, "NSpid").split(),
            "own_namespaces": {ns for ns in ("pid", "user", "net", "mnt", "ipc")
                               if os.readlink(f"/proc/{pid}/ns/{ns}")
                               != os.readlink(f"/proc/self/ns/{ns}")},
            "cgroups": cgroups,
        }
    finally:
        sandbox.close()
        zygote.close()


def _namespaces_here() -> bool:
    """Whether a process may unshare the namespaces a worker gets (in a process of its own)."""
    probe = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
         "from grader._child import confine; sys.exit(0 if confine.enter_namespaces([], []) "
         "else 1)"], capture_output=True, timeout=60)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(not _namespaces_here(),
                                      reason="this machine does not let us make namespaces")


@needs_namespaces
@pytest.mark.parametrize("zygote_kind", [Zygote, TwoStepZygote], ids=["clone", "two-step"])
def test_a_worker_is_the_first_process_of_namespaces_of_its_own(tmp_path: Path,
                                                                zygote_kind: type) -> None:
    zygote = zygote_kind()
    server = zygote.process.pid
    seen = _worker_seen_from_outside(tmp_path, zygote)
    assert seen["missing"] == [], seen["missing"]
    assert seen["nspid"][-1] == "1", seen  # the first process of its PID namespace
    assert seen["own_namespaces"] == {"pid", "user", "net", "mnt", "ipc"}, seen
    # One clone (root: see confine.fork_into_namespaces): the fork server's own child. Two
    # steps: a process in between waits.
    one_clone = zygote_kind is Zygote and os.geteuid() == 0
    assert (seen["parent"] == server) == one_clone, seen
    if os.geteuid() == 0:
        assert any(line.split(":")[1] == "pids" and "/aiograde-" in line
                   for line in str(seen["cgroups"]).splitlines()), seen["cgroups"]


CLOCK_OF_ITS_OWN = f"""
import os, sys, threading, time
sys.path.insert(0, {str(ROOT)!r})
from grader._child import confine
pid = confine.fork_into_namespaces()
if pid == 0:
    clock = time.pthread_getcpuclockid(threading.get_ident())
    os._exit(0 if ~(clock >> 3) == threading.get_native_id() == os.getpid() == 1 else 3)
if pid is None:
    sys.exit(2)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@needs_namespaces
def test_a_cloned_worker_reads_its_own_threads_cpu_clock() -> None:
    # The C library makes a thread's CPU clock from the kernel id in its thread descriptor,
    # which a bare clone leaves as the parent's: the watchdog, telling a spinning step from
    # a waiting one, would read another thread's clock (or none).
    ran = subprocess.run([sys.executable, "-c", CLOCK_OF_ITS_OWN], capture_output=True,
                         text=True, timeout=60)
    if ran.returncode == 2:
        pytest.skip("no clone into namespaces on this machine")
    assert ran.returncode == 0 and ran.stdout.strip() == "0", (ran.stdout, ran.stderr)


# A module that writes where it can at import, and says (in its import error) what it
# could: the worker's own /tmp, /dev/shm and scratch (its working folder) take it. First it
# tries to make the root and /dev writable (as root of its user namespace it may mount): a
# shared root must stay read-only all the same.
WRITES = """
import ctypes, json
mount = ctypes.CDLL(None, use_errno=True).mount
for point in (b"/", b"/dev"):  # read-only gone: the mount's flags, then its file system's
    for flags in (32 | 4096 | 2 | 4, 32 | 4096 | 2, 32 | 2 | 4, 32 | 2):  # REMOUNT BIND NOSUID NODEV
        mount(None, point, None, ctypes.c_ulong(flags), None)
seen = {}
for path in ("/probe", "/dev/probe", "/tmp/probe", "/dev/shm/probe", "probe"):
    try:
        with open(path, "x") as f:
            f.write("x")
        seen[path] = "written"
    except OSError as exc:
        seen[path] = exc.strerror
raise RuntimeError(json.dumps(seen))
"""
# A module that says which of those files it sees (another worker's: none).
LOOKS = """
import json, os
raise RuntimeError(json.dumps({p: os.path.exists(p) for p in
                               ("/probe", "/dev/probe", "/tmp/probe", "/dev/shm/probe", "probe")}))
"""


def _import_errors(tmp_path: Path, zygote: Zygote, sources: dict[str, str],
                   while_alive: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Each module's import, in a worker of its own, in order (all alive together): what
    its import error said, as JSON; and what ``while_alive`` returns with them all alive."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "private").mkdir()
    for slug, source in sources.items():
        (tmp_path / "sub" / f"{slug}.py").write_text(source)
    found = _submission.read(tmp_path / "sub", list(sources), tmp_path / "private")
    sandbox = Sandbox(found.modules, confine=True, zygote=zygote)
    said = {}
    try:
        for slug in sources:
            hello = sandbox.ready(slug, 30)
            assert not isinstance(hello, Failure) and hello.import_error is not None, hello
            said[slug] = json.loads(hello.import_error.message)
        if while_alive is not None:
            said["while alive"] = list(while_alive())
    finally:
        sandbox.close()
        zygote.close()
    return said


@needs_namespaces
@pytest.mark.parametrize("zygote_kind", [Zygote, TwoStepZygote], ids=["clone", "two-step"])
def test_a_workers_own_folders_are_its_own_and_the_rest_is_read_only(tmp_path: Path,
                                                                     zygote_kind: type) -> None:
    # Cloned (root), a worker starts from the root the fork server laid out once, shared
    # with every other worker: what they share must be read-only, and what each writes its
    # own, exactly as in a root a worker builds alone.
    first, second = (e.slug for e in _manifest.load()[:2])
    said = _import_errors(tmp_path, zygote_kind(), {first: WRITES, second: LOOKS})
    own = {"/tmp/probe": "written", "/dev/shm/probe": "written", "probe": "written"}
    assert {path: said[first][path] for path in own} == own, said
    if zygote_kind is Zygote and os.geteuid() == 0 and os.path.isdir(confine.SHARED_ROOT_AT):
        refused = "Read-only file system"
        assert said[first]["/probe"] == said[first]["/dev/probe"] == refused, said
    # (a root a worker built alone is its own: what it made writable there, it alone sees)
    assert said[second] == dict.fromkeys(said[second], False) and len(said[second]) == 5, said


@needs_namespaces
def test_the_shared_root_is_the_fork_servers_alone(tmp_path: Path) -> None:
    # Laid out in the fork server's own mount namespace: while its workers run, the machine
    # sees none of its mounts, and the folder it is laid out on as it was.
    mounts, folder = Path("/proc/self/mountinfo"), Path(confine.SHARED_ROOT_AT)
    before = mounts.read_text(), sorted(folder.iterdir()) if folder.is_dir() else None
    said = _import_errors(tmp_path, Zygote(), {SLUG: LOOKS}, while_alive=lambda: (
        mounts.read_text(), sorted(folder.iterdir()) if folder.is_dir() else None))
    assert tuple(said["while alive"]) == before
