"""What a submission does at run time that no honest answer needs (the tamper report's
run-time half; the static half reads the source in the parent: ``grader._tamper``).

An audit hook (PEP 578), installed before student code exists and impossible to
remove, sees frame and object-graph introspection, ctypes, tracing, writes outside the
scratch folder and sockets to anything but loopback, when the student's own code makes
the call. (Whether the standard library was replaced, the sentinel tells: see
``sentinel.py``.)
"""

from __future__ import annotations

import inspect
import ipaddress
import os
import sys
import threading
from typing import Any

from grader._wire import Location

from . import plain

_audit = sys.audit
_BLOCKBUSTER = sys.modules["blockbuster.blockbuster"].__file__
_INSPECT = inspect.__file__
_inside = threading.local()
SCRATCH: list[str] = []  # the one folder a worker may write to, set by the worker

_INTROSPECTION = {
    "sys._getframe": "reads the call stack's frames (sys._getframe / inspect.currentframe)",
    "sys._current_frames": "reads other threads' frames",
    "gc.get_objects": "walks every object in the process (gc.get_objects)",
    "gc.get_referrers": "walks the object graph (gc.get_referrers)",
    "gc.get_referents": "walks the object graph (gc.get_referents)",
    "ctypes.dlopen": "loads native code through ctypes",
    "ctypes.dlsym": "looks up native symbols through ctypes",
    "ctypes.addressof": "takes raw memory addresses through ctypes",
    "sys.settrace": "installs a trace function (sys.settrace)",
    "sys.setprofile": "installs a profile function (sys.setprofile)",
    "sys.addaudithook": "installs an audit hook",
}
# Reaching the grader's own objects this way is tampering (the kind "reaches-grader"):
# frames of other threads, the object graph, tracing, raw memory.
_REACHING = {"sys._current_frames", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
             "sys.settrace", "sys.setprofile"}
# Attributes CPython audits on read: from the student's own code, on the grader's objects.
# (Not f_code nor __code__: blockbuster reads them on every wrapped call, too often to
# look at each one; a frame reaches the student through one of these, or sys._getframe.)
_GUARDED_ATTRIBUTES = {"tb_frame", "cr_frame", "gi_frame", "ag_frame"}
# Processes started so far (the step monitor does not call a step blocking when it started
# one: waiting for a new process to exec is not the student blocking the loop).
SPAWNS = [0]
_SPAWN_EVENTS = {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.system",
                 "os.posix_spawnp"}
# Audited calls of functions blockbuster wraps: the student is the wrapper's caller.
_WRAPPED_EVENTS = {"os.symlink", "os.link", "open"}
# Folders of the code the grader measures with (set by the worker, before student code).
TRUSTED: list[str] = []
_WRITE_MODES = frozenset("wax+")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_WATCHED = {*_INTROSPECTION, "open", "socket.connect", "socket.sendto", "os.kill", "os.killpg",
            "object.__getattr__", "object.__setattr__", "object.__delattr__", "os.symlink",
            "os.link"}


def record(kind: str, message: str, where: Location | None) -> None:
    """Hand a finding to the sentinel, which keeps it out of the submission's reach."""
    _audit("aiograde.finding", kind, message,
           None if where is None else {"file": where.file, "line": where.line})


def _caller_is_student(through: str | None) -> Location | None:
    frame: Any = sys._getframe(2)  # 0: this function, 1: the hook, 2: who made the call
    # A wrapper of blockbuster's stands between a call of a wrapped function (os.symlink)
    # and the student; but what blockbuster itself reads (frames) is not the student's doing.
    # Likewise inspect.currentframe() and inspect.stack() between the student and sys._getframe.
    while through and frame is not None and frame.f_code.co_filename == through:
        frame = frame.f_back
    if frame is not None and frame.f_code.co_filename in plain.STUDENT_FILES:
        return plain.where(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
    return None


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    if isinstance(host, str) and host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except (ValueError, TypeError):
        return isinstance(host, (str, bytes)) and not isinstance(address, tuple)  # AF_UNIX path


def _writes_outside(args: tuple[Any, ...]) -> bool:
    path, mode, flags = [*args, None, None, None][:3]
    writing = (isinstance(mode, str) and not _WRITE_MODES.isdisjoint(mode)) or \
        (isinstance(flags, int) and flags & _WRITE_FLAGS)
    if not writing or not isinstance(path, (str, bytes)):
        return False
    # Plain string work: os.path.realpath/abspath are wrapped by blockbuster on the loop.
    full = os.path.normpath(os.path.join(SCRATCH[0] if SCRATCH else "/", os.fsdecode(path)))
    return not any(full == s or full.startswith(s + os.sep) for s in SCRATCH) and \
        not full.startswith("/dev/")


def _code_of(obj: Any) -> Any:
    for attr in ("tb_frame", "f_code", "cr_code", "gi_code", "ag_code", "__code__"):
        obj = getattr(obj, attr, obj)
    return obj


def _leads_to_grader(frame: Any) -> bool:
    """Whether the grader's code is on the stack below ``frame`` (its ``f_back`` chain: the
    student's code is called by the grader's, except in a thread of the student's own)."""
    trusted = tuple(TRUSTED)
    for _ in range(_DEEPEST):
        frame = getattr(frame, "f_back", None)
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith(trusted):
            return True
    return True  # deeper than any honest stack: it leads somewhere


_DEEPEST = 1000


def _is_grader(obj: Any) -> bool:
    """Whether ``obj`` (a frame, traceback, coroutine, generator, function or code) is the
    grader's code or the code it measures with."""
    filename = getattr(_code_of(obj), "co_filename", None)
    return isinstance(filename, str) and any(filename.startswith(p) for p in TRUSTED)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "object.__getattr__":
        if args[1] not in _GUARDED_ATTRIBUTES:
            return  # the common case (blockbuster reads f_code at every wrapped call), first
    elif event not in _WATCHED:
        if event in _SPAWN_EVENTS:
            SPAWNS[0] += 1
        if not event.startswith("ctypes."):
            return
    if getattr(_inside, "busy", False):
        return
    if event == "open" and not _writes_outside(args):
        return  # reading (the grader reads /proc often): nothing to say, whoever does it
    _inside.busy = True
    try:
        where = _caller_is_student(_BLOCKBUSTER if event in _WRAPPED_EVENTS else
                                   _INSPECT if event == "sys._getframe" else None)
        if where is None:
            return
        if event.startswith("ctypes."):
            record("reaches-grader", f"uses raw memory or native code through ctypes ({event})",
                   where)
        elif event == "sys._getframe" and args and _is_grader(args[0]):
            record("reaches-grader", "reads a frame of the grader's code (sys._getframe)",
                   where)
        elif event == "sys._getframe" and args and _leads_to_grader(args[0]):
            record("reaches-grader", "takes a frame of its own call stack (sys._getframe, "
                   "inspect), from which the grader's own frames are a few f_back away: no "
                   "honest answer walks the stack it was called from", where)
        elif event in _REACHING:
            record("reaches-grader", _INTROSPECTION[event], where)
        elif event in _INTROSPECTION:
            record("introspection", f"{_INTROSPECTION[event]}", where)
        elif event == "object.__getattr__":
            if _is_grader(args[0]):
                record("reaches-grader", f"reads {args[1]} of the grader's own code", where)
        elif event in ("object.__setattr__", "object.__delattr__"):
            if _is_grader(args[0]) or (isinstance(args[0], type) and \
                    getattr(args[0], "__module__", "").split(".")[0] in ("grader", "looptime",
                                                                          "blockbuster")):
                record("rewrites-instruments", f"sets {args[1]} on the grader's own "
                       f"{type(args[0]).__name__}", where)
        elif event in ("os.symlink", "os.link") and _writes_outside((args[0], "w")):
            record("escapes-scratch", f"links to {str(args[0])[:120]!r}, outside its scratch "
                   "folder", where)
        elif event == "open" and _writes_outside(args):
            record("writes-outside", f"opens {str(args[0])[:120]!r} for writing, outside its "
                   "scratch folder", where)
        elif event in ("socket.connect", "socket.sendto") and not _is_loopback(args[-1]):
            record("network", f"connects to {str(args[-1])[:80]}, not a loopback address", where)
        elif event in ("os.kill", "os.killpg"):
            record("signals", f"sends a signal with {event} to process {args[0]}", where)
    finally:
        _inside.busy = False


def install_audit_hook() -> None:
    sys.addaudithook(_hook)
