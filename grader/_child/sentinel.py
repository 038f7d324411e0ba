"""The sentinel: the child's one vantage that student code cannot address.

Everything else the child measures with lives in Python objects a submission can reach
(a wrapper's ``__closure__``, a function's ``__globals__``, an object's attributes) and
rewrite. The sentinel is an audit hook (PEP 578) made by ``install``: a closure that
nothing in Python refers to but the interpreter's list of hooks, which cannot be read
or removed. Its state lives in that closure, so reaching it takes ``gc`` or frames or
raw memory, each of which raises an audit event the hook sees first.

The rest of the child talks to it through ``sys.audit("aiograde.<what>", ...)``:

- ``arm``: before student code is imported, it takes a snapshot of the grader's
  instruments (module globals, class attributes, the functions' code, defaults and
  closure cells, constant tables, the standard library's functions the grader measures
  with) and starts a thread (``_thread``, so it is in no registry) that compares them
  against the snapshot every few milliseconds while the submission runs;
- ``track``: every call entering or leaving an instrumented twin, from the tracker's own
  code: an account of calls and calls-at-once kept apart from the tracker's fields;
- ``loop`` and ``timer``: a new loop, and the due time of every timer a step of it ran
  (from the step monitor);
- ``clock``: a scenario's loop time at start and end, checked against the timers it ran
  (a clock that ends before the timers it fired was rewound);
- ``finding``: what the tamper hook saw; ``seal``: after a scenario, one last full
  comparison and every finding since the last seal, into the list it is given;
- ``stash``: the request's id, held here (not in any frame a submission can walk to)
  while the scenario runs, and put back into the answer at the seal: code that reads
  the worker's frames finds no id to forge an answer with.

Findings are plain dicts with a ``kind``; the parent decides what each kind costs.
"""

from __future__ import annotations

import _thread
import sys
import time
import types
from collections.abc import Callable
from typing import Any

CHECK_EVERY = 0.005  # seconds between the thread's comparisons of the instruments
MAX_FINDINGS = 100  # per seal; the rest are counted

# Names in the grader's modules that change in honest runs (lists filled per scenario,
# state set once the worker starts): compared by identity, never by their contents.
_MUTABLE = {"blocking_events", "stall_events", "running", "active", "tasks_seen", "clock_seen",
            "fds", "SPAWNS", "_buffer"}


def _functions_of(owner: Any) -> list[Any]:
    values = list(vars(owner).values())
    found = []
    for value in values:
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            found += [f for f in (value.fget, value.fset, value.fdel) if f is not None]
        elif isinstance(value, types.FunctionType):
            found.append(value)
    return found


def snapshot(modules: list[types.ModuleType], objects: list[Any],
             attributes: list[tuple[str, Any, str]], *, deep: bool = True,
             ) -> list[tuple[str, Callable[[], Any], Any]]:
    """(what, how to read it now, what it was) for everything an honest run never changes:
    the modules' globals and their classes' attributes, the ``objects``' attributes, the
    ``attributes`` named (label, owner, name). ``deep``: also the functions' code, defaults
    and closure cells, and the contents of small constant tables."""
    entries: list[tuple[str, Callable[[], Any], Any]] = []

    def watch_dict(label: str, owner: Any) -> None:
        space = vars(owner)
        for key, value in list(space.items()):
            if key in ("__dict__", "__weakref__", "__doc__", "__annotations__") or \
                    (key in _MUTABLE and not isinstance(value, (list, set, dict))):
                continue
            entries.append((f"{label}.{key}", (lambda s=space, k=key: s.get(k)), value))
            if deep and key not in _MUTABLE and \
                    isinstance(value, (list, set, dict, frozenset, tuple)) and len(value) <= 1000:
                entries.append((f"{label}.{key} (contents)",
                                (lambda s=space, k=key: _contents(s.get(k))), _contents(value)))

    def watch_function(label: str, fn: Any) -> None:
        for attr in ("__code__", "__defaults__", "__kwdefaults__"):
            entries.append((f"{label}.{attr}", (lambda f=fn, a=attr: getattr(f, a)),
                            getattr(fn, attr)))
        for i, cell in enumerate(fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            entries.append((f"{label} closure[{i}]", (lambda c=cell: _cell(c)), value))
            if isinstance(value, (list, set, dict)) and len(value) <= 1000:
                entries.append((f"{label} closure[{i}] (contents)",
                                (lambda c=cell: _contents(_cell(c))), _contents(value)))

    for module in modules:
        watch_dict(module.__name__, module)
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == module.__name__:
                watch_dict(f"{module.__name__}.{value.__name__}", value)
                if deep:
                    for fn in _functions_of(value):
                        watch_function(f"{module.__name__}.{fn.__qualname__}", fn)
        if deep:
            for fn in _functions_of(module):
                if fn.__module__ == module.__name__:
                    watch_function(f"{module.__name__}.{fn.__name__}", fn)
    for obj in objects:
        watch_dict(f"{type(obj).__module__}.{type(obj).__name__} instance", obj)
    for label, owner, attr in attributes:
        value = getattr(owner, attr, None)
        entries.append((label, (lambda o=owner, a=attr: getattr(o, a, None)), value))
        if isinstance(value, types.FunctionType):
            watch_function(label, value)
    return entries


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _contents(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((id(k), id(v)) for k, v in list(value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(id(v) for v in value)
    if isinstance(value, (list, tuple)):
        return tuple(id(v) for v in value)
    return value


def install(tracker_code: tuple[Any, ...], trusted: tuple[str, ...]) -> None:
    """Add the sentinel's audit hook. ``tracker_code``: the code objects allowed to report
    tracker events (the tracker's ``enter`` and ``leave``); ``trusted``: the folders of the
    grader's code, whose calls alone may arm, seal and report the clock."""
    state: dict[str, Any] = {"hot": [], "cold": [], "armed": False, "violations": [],
                             "findings": [], "seen": set(), "dropped": 0,
                             "trackers": {}, "timers": {}, "file": ""}
    getframe, ident = sys._getframe, id
    sleep, start_thread = time.sleep, _thread.start_new_thread

    def note(kind: str, message: str, where: dict[str, Any] | None = None) -> None:
        where = where or {"file": state["file"], "line": None}
        key = (kind, where.get("file", ""), where.get("line") or message)
        if key in state["seen"]:
            return
        if len(state["findings"]) >= MAX_FINDINGS:
            state["dropped"] += 1
            return
        state["seen"].add(key)
        state["findings"].append({"kind": kind, "message": message[:300],
                                  "file": where.get("file", ""), "line": where.get("line")})

    def compare(entries: list[tuple[str, Callable[[], Any], Any]]) -> None:
        for label, read, was in entries:
            try:
                now = read()
            except Exception:  # whatever broke it, it changed
                now = None
            same = now == was if isinstance(was, (tuple, frozenset)) else now is was
            if not same and label not in state["violations"]:
                state["violations"].append(label)
                note("rewrites-instruments", f"{label} was changed while the submission ran: "
                     "the grader's instruments must be left as they are")

    def guard() -> None:  # the sentinel thread
        while True:
            sleep(CHECK_EVERY)
            try:
                compare(state["hot"])
            except Exception:  # never die: the seal checks again
                continue

    def trusted_caller(depth: int) -> bool:
        """Whether the code ``depth`` frames above the hook is the grader's."""
        code = getframe(depth + 1).f_code
        return code.co_filename.startswith(trusted)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if not event.startswith("aiograde."):
            return
        if event == "aiograde.finding":
            note(*args)
        elif event == "aiograde.track":
            tracker, delta = args
            if getframe(1).f_code not in tracker_code:
                note("forges-counts", "a tracker event came from outside the tracker")
                return
            account = state["trackers"].setdefault(ident(tracker), [tracker, 0, 0, 0])
            if delta > 0:
                account[1] += 1
                account[2] += 1
                account[3] = max(account[3], account[2])
            else:
                account[2] -= 1
        elif event == "aiograde.timer":
            loop_id, due = args
            timers = state["timers"]
            if due > timers.get(loop_id, due - 1):
                timers[loop_id] = due
        elif event == "aiograde.loop" and trusted_caller(1):  # a new loop: a new account
            state["timers"].pop(ident(args[0]), None)
        elif event == "aiograde.clock" and trusted_caller(1):
            start, end, loop = args
            latest = state["timers"].pop(ident(loop), None)
            if latest is not None and end < latest - 1e-3:
                note("rewinds-clock", f"the loop's clock ended at {end - start:g} s, before "
                     f"a timer it ran, due at {latest - start:g} s: it was set back")
            if "time" in vars(loop):
                note("rewinds-clock", "the event loop's time() was replaced")
        elif event == "aiograde.arm" and not state["armed"] and trusted_caller(1):
            state["armed"] = True
            state["hot"], state["cold"], state["file"] = args
            start_thread(guard, ())
        elif event == "aiograde.stash" and trusted_caller(1):
            state["id"] = args[0]
        elif event == "aiograde.seal" and trusted_caller(1):
            out, answer = args
            if "id" in state:
                answer["id"] = state.pop("id")
            compare(state["hot"])
            compare(state["cold"])
            for tracker, calls, _, most in state["trackers"].values():
                if getattr(tracker, "most", None) != most or \
                        len(getattr(tracker, "calls", ())) != calls:
                    note("forges-counts", "the grader's count of calls was edited: it "
                         f"counted {calls} calls, at most {most} at once; the tracker "
                         f"said {len(getattr(tracker, 'calls', ()))} and "
                         f"{getattr(tracker, 'most', None)}")
            state["trackers"] = {}
            out.extend(state["findings"])
            if state["dropped"]:
                out.append({"kind": "more-findings", "message": f"and {state['dropped']} "
                            "more findings of this run not listed", "file": "", "line": None})
            state["findings"], state["dropped"] = [], 0

    sys.addaudithook(hook)
