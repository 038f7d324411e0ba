"""The sentinel: the child's one vantage that student code cannot address.

Everything else the child measures with lives in Python objects a submission can reach
(a wrapper's ``__closure__``, a function's ``__globals__``, an object's attributes) and
rewrite. The sentinel is an audit hook (PEP 578) made by ``install``: a closure that
nothing in Python refers to but the interpreter's list of hooks, which cannot be read
or removed. Its state lives in that closure, so reaching it takes ``gc`` or frames or
raw memory, each of which raises an audit event the hook sees first.

The rest of the child talks to it through ``sys.audit("aiograde.<what>", ...)``:

- ``arm``: before student code is imported, it takes the snapshot of the grader's
  instruments the worker hands it (module globals, class attributes, the functions'
  defaults and closure cells, constant tables, the standard library's functions the
  grader measures with) and starts a thread (``_thread``, so it is in no registry) that
  compares the instruments against it every ``CHECK_EVERY`` seconds while student code
  runs;
- ``track``: every call entering or leaving an instrumented twin, from the tracker's own
  code: an account of calls and calls-at-once kept apart from the tracker's fields;
- ``loop`` and ``timer``: a new loop, and the due time of every timer a step of it ran
  (from the step monitor);
- ``clock``: a scenario's loop time at start and end, checked against the timers it ran
  (a clock that ends before the timers it fired was rewound);
- ``finding``: what the tamper hook saw; ``seal``: after the import and after each
  scenario, a comparison of the instruments (of the rest every ``COLD_EVERY`` seals), the
  trackers against its own account, and every finding since the last seal, into the list
  it is given;
- ``stash``: the request's id, held here (not in any frame a submission can walk to)
  while the scenario runs, and put back into the answer at the seal: code that reads
  the worker's frames finds no id to forge an answer with.

Findings are plain dicts with a ``kind``; the parent decides what each kind costs.
"""

from __future__ import annotations

import _thread
import operator
import sys
import time
import types
from collections.abc import Callable
from typing import Any

CHECK_EVERY = 0.25  # seconds between the thread's comparisons, while student code runs
COLD_EVERY = 4  # seals between comparisons of the standard library and the scenarios
MAX_FINDINGS = 100  # per seal; the rest are counted

# Names in the grader's modules that change in honest runs (lists filled per scenario,
# state set once the worker starts): compared by identity, never by their contents.
_MUTABLE = {"blocking_events", "stall_events", "running", "active", "tasks_seen", "clock_seen",
            "fds", "SPAWNS", "_buffer", "ticks"}


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


Entry = tuple[str, tuple[str, ...], Callable[[], tuple[Any, ...]], tuple[Any, ...], bool]


def snapshot(modules: list[types.ModuleType], objects: list[Any],
             attributes: list[tuple[str, Any, str]], *, deep: bool = True) -> list[Entry]:
    """What an honest run never changes: the modules' globals and their classes'
    attributes, the ``objects``' attributes, the ``attributes`` named (label, owner, name);
    ``deep``: also the functions' code, defaults and closure cells, and the contents of
    small constant tables. Each entry: (label, the names of its items, how to read them
    now, what they were, whether they are compared by identity or by value); a whole
    namespace is one entry, read at C speed, so the thread can compare often."""
    entries: list[Entry] = []

    def watch_dict(label: str, owner: Any) -> None:
        space = vars(owner)
        keys = tuple(k for k, v in list(space.items()) if k not in _SKIPPED
                     and not (k in _MUTABLE and not isinstance(v, (list, set, dict))))
        entries.append((label, keys, _items(space, keys), tuple(map(space.get, keys)), True))
        if not deep:
            return
        for key in keys:
            value = space.get(key)
            if key not in _MUTABLE and isinstance(value, (list, set, dict, frozenset, tuple)) \
                    and len(value) <= 200:
                entries.append((f"{label}.{key} (contents)", (key,), _table(space, key),
                                (_contents(value),), False))

    def watch_function(label: str, fn: Any) -> None:
        # Its __code__ is not read here: setting it raises an audit event the tamper hook
        # sees. Defaults and closure cells change silently, so they are compared.
        cells = fn.__closure__ or ()
        if not cells and fn.__defaults__ is None and fn.__kwdefaults__ is None:
            return
        names = ("__defaults__", "__kwdefaults__", *(f"closure[{i}]" for i in range(len(cells))))

        def read(f: Any = fn, c: tuple[Any, ...] = cells) -> tuple[Any, ...]:
            return (f.__defaults__, f.__kwdefaults__, *map(_cell, c))

        entries.append((label, names, read, read(), True))
        for i, cell in enumerate(cells):
            value = _cell(cell)
            if isinstance(value, (list, set, dict)) and len(value) <= 200:
                entries.append((f"{label} closure[{i}] (contents)", ("contents",),
                                _cell_table(cell), (_contents(value),), False))

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
    if attributes:
        owners = tuple((owner, attr) for _, owner, attr in attributes)

        def read_attributes(o: tuple[tuple[Any, str], ...] = owners) -> tuple[Any, ...]:
            return tuple(getattr(owner, attr, None) for owner, attr in o)

        entries.append(("", tuple(label for label, _, _ in attributes), read_attributes,
                        read_attributes(), True))
        for label, owner, attr in attributes:
            value = getattr(owner, attr, None)
            if isinstance(value, types.FunctionType):
                watch_function(label, value)
    return entries


def _items(space: Any, keys: tuple[str, ...]) -> Callable[[], tuple[Any, ...]]:
    return lambda: tuple(map(space.get, keys))


def _table(space: Any, key: str) -> Callable[[], tuple[Any, ...]]:
    return lambda: (_contents(space.get(key)),)


def _cell_table(cell: Any) -> Callable[[], tuple[Any, ...]]:
    return lambda: (_contents(_cell(cell)),)


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _contents(value: Any) -> Any:
    """What a table holds, by identity (at C speed: this runs at every seal)."""
    if isinstance(value, dict):
        return tuple(map(id, value)), tuple(map(id, value.values()))
    if isinstance(value, (set, frozenset)):
        return frozenset(map(id, value))
    if isinstance(value, (list, tuple)):
        return tuple(map(id, value))
    return value


_SKIPPED = {"__dict__", "__weakref__", "__doc__", "__annotations__", "__builtins__"}


def _changed(entry: Entry) -> str | None:
    """The first item of the entry that is not what it was, or None."""
    label, names, read, was, by_identity = entry
    try:
        now = read()
    except Exception:  # whatever broke it, it changed
        return label or names[0]
    if len(now) != len(was):
        return label
    if by_identity:
        if not any(map(operator.is_not, now, was)):
            return None
        index = list(map(operator.is_not, now, was)).index(True)
    else:
        if now == was:
            return None
        index = 0
    name = names[index] if index < len(names) else "?"
    return f"{label}.{name}" if label and not name.startswith("contents") else label or name


def install(tracker_code: tuple[Any, ...], trusted: tuple[str, ...]) -> None:
    """Add the sentinel's audit hook. ``tracker_code``: the code objects allowed to report
    tracker events (the tracker's ``enter`` and ``leave``); ``trusted``: the folders of the
    grader's code, whose calls alone may arm, seal and report the clock."""
    state: dict[str, Any] = {"hot": [], "cold": [], "armed": False, "violations": [],
                             "findings": [], "seen": set(), "dropped": 0,
                             "trackers": {}, "timers": {}, "file": "", "busy": False, "seals": 0}
    getframe, ident, changed = sys._getframe, id, _changed
    sleep, start_thread = time.sleep, _thread.start_new_thread

    def note(kind: str, message: str, where: Any = None) -> None:
        if where is not None and not isinstance(where, dict):  # a Location (a typed struct)
            where = {"file": getattr(where, "file", ""), "line": getattr(where, "line", None)}
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

    def compare(entries: list[Entry]) -> None:
        for entry in entries:
            what = changed(entry)
            if what is not None and what not in state["violations"]:
                state["violations"].append(what)
                note("rewrites-instruments", f"{what} was changed while the submission ran: "
                     "the grader's instruments must be left as they are")

    def guard() -> None:  # the sentinel thread
        while True:
            sleep(CHECK_EVERY)
            if not state["busy"]:  # between requests no student code runs: nothing to watch
                continue
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
            state["busy"] = True  # the student's module is imported next
            start_thread(guard, ())
        elif event == "aiograde.stash" and trusted_caller(1):
            state["id"] = args[0]
            state["busy"] = True
        elif event == "aiograde.seal" and trusted_caller(1):
            out, answer = args
            state["busy"] = False
            if "id" in state:
                answer["id"] = state.pop("id")
            compare(state["hot"])
            state["seals"] += 1
            if state["seals"] % COLD_EVERY == 1:  # the first (the import's), then now and then
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
