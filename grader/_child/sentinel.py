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
  closure cells, constant tables, the standard library's functions the grader measures
  with) and starts a thread (``_thread``, so it is in no registry) that compares the
  instruments against it every ``CHECK_EVERY`` seconds while student code runs;
- ``object.__setattr__`` and ``__delattr__`` (CPython's own events): a function's
  ``__code__``, ``__defaults__`` or ``__kwdefaults__`` set (or set to None), which nothing
  can do silently: on the
  grader's functions, from anywhere, that is rewriting an instrument;
- ``track``: every call entering or leaving an instrumented twin, from the tracker's own
  code: an account of calls and calls-at-once kept apart from the tracker's fields;
- ``loop`` and ``timer``: a new loop, and the due time of every timer a step of it ran
  (from the step monitor);
- ``clock``: a scenario's loop time at start and end, checked against the timers it ran
  (a clock that ends before the timers it fired was rewound);
- ``finding``: what the tamper hook saw; ``seal``: after the import and after each
  scenario, a comparison of the instruments and of the rest (the grader's other modules,
  the standard library's), the trackers against its own account, and every finding since
  the last seal, into the list it is given;
- ``stash``: the request's id, held here (not in any frame a submission can walk to)
  while the scenario runs, and put back into the answer at the seal: code that reads
  the worker's frames finds no id to forge an answer with.

A namespace (a module's globals, a class's attributes, a table) none of whose names
changes in honest runs is compared by its dict's version tag (PEP 509) alone, read through
ctypes objects the fork server made: one 8-byte read where a comparison name by name would
touch every object in it, most of what a comparison cost in a freshly forked worker.

Findings are plain dicts with a ``kind``; the parent decides what each kind costs.
"""

from __future__ import annotations

import _thread
import builtins
import ctypes
import functools
import gc
import itertools
import operator
import sys
import time
import types
from collections.abc import Callable
from typing import Any

_sleep = time.sleep  # bound at import, before blockbuster wraps it (see install)

CHECK_EVERY = 0.25  # seconds between the thread's comparisons, while student code runs
MAX_FINDINGS = 100  # per seal; the rest are counted

# Names in the grader's modules that change in honest runs (lists filled per scenario,
# state set once the worker starts): compared by identity, never by their contents.
_MUTABLE = {"blocking_events", "stall_events", "running", "active", "tasks_seen", "clock_seen",
            "fds", "SPAWNS", "_buffer", "ticks", "WATCHED", "_awake"}
# A function's code and defaults change only through their setters, which raise the audit
# event ``object.__setattr__`` whoever calls them: the hook sees that, they are not read.
_FUNCTION_SETTERS = {"__code__", "__defaults__", "__kwdefaults__"}
# Reading ``id()`` raises an audit event (``builtins.id``) that every hook sees; an object's
# own ``object.__hash__`` is the same identity (its address, rotated) and raises none.
identity = object.__hash__

REWRITES, PATCHES = "rewrites-instruments", "patches-stdlib"


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


# (label, the names of its items, how to read them now, what they were, the finding's kind,
# the version tag of the namespace they are read from or None, and for such a namespace
# what tells a name added to it that shadows another: see _shadowing)
Entry = tuple[str, tuple[str, ...], Callable[[], tuple[Any, ...]], tuple[Any, ...], str, Any,
              Callable[[], str | None] | None]


def snapshot(modules: list[types.ModuleType], objects: list[Any],
             attributes: list[tuple[str, Any, str]], *, deep: bool = True,
             kind: str = REWRITES) -> list[Entry]:
    """What an honest run never changes: the modules' globals and their classes'
    attributes, the ``objects``' attributes, the ``attributes`` named (label, owner, name);
    ``deep``: also the functions' closure cells and the contents of small tables. Every
    entry is a tuple of objects compared by identity (``is``, at C speed: no ``id()``,
    which is audited), so the thread can compare often; ``kind``: what a change is.
    Classes that cannot be changed (the interpreter's own: ``weakref.ProxyType``) are left
    out: setting their attributes raises ``TypeError``."""
    entries: list[Entry] = []

    def wanted(key: str, value: Any) -> bool:
        return key not in _SKIPPED and \
            not (key in _MUTABLE and not isinstance(value, (list, set, dict)))

    def watch_dict(label: str, owner: Any) -> None:
        if isinstance(owner, type) and owner.__flags__ & _IMMUTABLE_TYPE:
            return
        space = vars(owner)
        if isinstance(owner, types.ModuleType):
            # made now, not by the first warning a submission's call raises from the module
            # (the warnings module adds it to the module's globals: a change of version)
            space.setdefault("__warningregistry__", {})
        items = list(space.items())
        keys = tuple(k for k, v in items if wanted(k, v))
        if not keys:
            return
        # A namespace none of whose names changes in honest runs is watched by its version
        # tag alone: any change to it, whatever the name, gives it a new one.
        whole = all(k in keys or k in _SKIPPED for k, _ in items)
        tag = _version_tag(space) if whole else None
        entries.append((label, keys, _items(space, keys), tuple(map(space.get, keys)), kind,
                        tag, _shadowing(owner, space) if tag is not None else None))
        if not deep:
            return
        for key in keys:
            value = space.get(key)
            if key not in _MUTABLE and isinstance(value, _TABLES) and len(value) <= 200:
                watch_table(f"{label}.{key} (contents)", value)

    def watch_table(label: str, value: Any) -> None:
        # A tuple's or frozenset's contents never change (its binding is watched); a
        # dict's, by its version tag where there is one; a list's or a set's, by a read in
        # C (the table itself: a new one in its place is a change of its binding).
        if isinstance(value, dict) and VERSION_TAGS:
            entries.append((label, (), _table(value), _contents(value), kind,
                            _version_tag(value), lambda: None))
        elif not isinstance(value, (tuple, frozenset)):
            read = _table(value) if isinstance(value, dict) else functools.partial(tuple, value)
            entries.append((label, (), read, _contents(value), kind, None, None))

    # Every closure cell of the functions watched, in one entry read in one call.
    cells: list[tuple[str, Any]] = []

    def watch_function(label: str, fn: Any) -> None:
        for i, cell in enumerate(fn.__closure__ or ()):
            cells.append((f"{label} closure[{i}]", cell))
            value = _cell(cell)
            if isinstance(value, (list, set, dict)) and len(value) <= 200:
                watch_table(f"{label} closure[{i}] (contents)", value)

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
                        read_attributes(), kind, None, None))
        for label, owner, attr in attributes:
            value = getattr(owner, attr, None)
            if isinstance(value, types.FunctionType):
                watch_function(label, value)
    if cells:
        read_cells = _cells_reader(tuple(cell for _, cell in cells))
        entries.append(("", tuple(label for label, _ in cells), read_cells, read_cells(), kind,
                        None, None))
    return entries


_TABLES = (list, set, dict, frozenset, tuple)


def _shadowing(owner: Any, space: Any) -> Callable[[], str | None]:
    """What tells, of the names a namespace gained since now, the first that changes what
    its code finds: in a module's globals a builtin's name (``len = ...`` in the grader's
    module is every ``len()`` there replaced), in a class an attribute of its bases (an
    override). Gaining any other name changes nothing already there (a submodule imported,
    a module's lazy ``__getattr__`` binding a global)."""
    known = frozenset(space)
    if isinstance(owner, types.ModuleType):
        shadowed = frozenset(vars(builtins)) - known
    elif isinstance(owner, type):
        shadowed = frozenset(n for base in owner.__mro__[1:] for n in vars(base)) - known
    else:
        shadowed = frozenset()
    keys = space.keys

    def first() -> str | None:
        return next(iter(sorted(shadowed.intersection(keys()))), None)

    return first


def _underlying(space: Any) -> Any:
    """The dict behind a class's ``mappingproxy`` (the namespace itself otherwise)."""
    if isinstance(space, dict):
        return space
    return next((r for r in gc.get_referents(space) if isinstance(r, dict)), None)


# A dict's version tag (PEP 509): CPython gives a dict a new one, from a global counter, at
# every change (3.11 to 3.13; the field is the one after ``ma_used``). Reading it is one
# 8-byte read, where comparing a namespace name by name touches every object in it: in a
# freshly forked worker whose caches are cold, that is most of what a comparison costs.
# Read through ctypes objects made here, in the fork server, before any hook exists;
# checked on live dicts (``_version_tags_work``), else every namespace is compared by name.
_VERSION_OFFSET = 3 * ctypes.sizeof(ctypes.c_ssize_t)  # refcount, type, ma_used


def _version_tag(space: Any) -> Any:
    target = _underlying(space)
    if target is None or not VERSION_TAGS:
        return None
    return ctypes.c_uint64.from_address(id(target) + _VERSION_OFFSET)


def _version_tags_work() -> bool:
    probe: dict[str, int] = {"a": 1}
    used = ctypes.c_ssize_t.from_address(id(probe) + _VERSION_OFFSET - ctypes.sizeof(
        ctypes.c_ssize_t))
    tag = ctypes.c_uint64.from_address(id(probe) + _VERSION_OFFSET)
    before = tag.value
    probe["b"] = 2
    after = tag.value
    probe["b"] = 3
    return sys.implementation.name == "cpython" and used.value == len(probe) == 2 and \
        before != after != tag.value


VERSION_TAGS = _version_tags_work()
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: the interpreter's static types


def _items(space: Any, keys: tuple[str, ...]) -> Callable[[], tuple[Any, ...]]:
    return lambda: tuple(map(space.get, keys))


def _table(table: dict[Any, Any]) -> Callable[[], tuple[Any, ...]]:
    return lambda: _contents(table)


def _cells_reader(cells: tuple[Any, ...]) -> Callable[[], tuple[Any, ...]]:
    # Every cell read in C; an emptied cell raises, which the comparison counts as a change.
    contents = operator.attrgetter("cell_contents")
    return lambda: tuple(map(contents, cells))


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _contents(value: Any) -> tuple[Any, ...]:
    """What a table holds, as a tuple of its objects to compare by identity: a dict's keys
    then its values (in order: a dict is its keys and values in order), a sequence's or a
    set's items (a set unchanged iterates in the same order); anything else, itself."""
    if isinstance(value, dict):
        return (*value, *value.values())
    if isinstance(value, _TABLES):
        return tuple(value)
    return (value,)


_SKIPPED = {"__dict__", "__weakref__", "__doc__", "__annotations__", "__builtins__",
            "__warningregistry__"}


def _changed(entry: Entry, was: tuple[Any, ...]) -> str | None:
    """The first item of the entry that is not what it was (``was``), or None."""
    label, names, read, *_ = entry
    try:
        now = read()
    except Exception:  # whatever broke it, it changed
        return label or names[0]
    if len(now) == len(was) and not any(map(operator.is_not, now, was)):
        return None
    differs = [i for i, (a, b) in enumerate(zip(now, was, strict=False)) if a is not b]
    name = names[differs[0]] if differs and differs[0] < len(names) else ""
    return f"{label}.{name}" if label and name else label or name or "?"


# What the sentinel compares, in one tuple: the entries read item by item, their reads, how
# many items each read gives and all they were; the entries watched by version tag, the
# tags, the versions they must have, and what each of those namespaces held.
Watched = tuple[list[Entry], tuple[Callable[[], tuple[Any, ...]], ...], tuple[int, ...],
                tuple[Any, ...], list[Entry], tuple[Any, ...], tuple[int, ...],
                tuple[tuple[Any, ...], ...]]
_tag_value = operator.attrgetter("value")


def bundle(entries: list[Entry]) -> Watched:
    """The entries as the sentinel compares them: every read called from C, every item
    compared in one pass (each entry's length too, so no item can move between entries);
    the namespaces with a version tag by their tags alone."""
    items = [e for e in entries if e[5] is None]
    tagged = [e for e in entries if e[5] is not None]
    tags = tuple(e[5] for e in tagged)
    return (items, tuple(e[2] for e in items), tuple(len(e[3]) for e in items),
            tuple(itertools.chain.from_iterable(e[3] for e in items)),
            tagged, tags, tuple(map(_tag_value, tags)), tuple(e[3] for e in tagged))


def renew(watched: Watched) -> Watched:
    """The same entries with what they hold now (in a forked worker: renewed since the
    fork by fork handlers, like threading's locks), read at C speed: one read per entry,
    no tuple per entry built in Python (each worker does this once, before student code).
    A tagged namespace is read again only if its version changed since the snapshot."""
    items, reads, _, _, tagged, tags, versions, held = watched
    now = tuple(map(operator.call, reads))
    current = tuple(map(_tag_value, tags))
    held = tuple(was if version == then else entry[2]()
                 for entry, was, version, then in zip(tagged, held, current, versions,
                                                      strict=True))
    return (items, reads, tuple(map(len, now)), tuple(itertools.chain.from_iterable(now)),
            tagged, tags, current, held)


def _changes(watched: Watched) -> tuple[list[tuple[str, str]], Watched]:
    """What differs, entry by entry (the slow path, only once a comparison failed): the
    name of each changed item and the kind of its entry; and the same bundle expecting
    the new versions of the namespaces that only gained names that shadow nothing (a
    submodule imported, a module's lazy ``__getattr__`` like concurrent.futures' binding
    ProcessPoolExecutor)."""
    items, reads, lengths, was, tagged, tags, versions, held = watched
    found, offset = [], 0
    for entry, length in zip(items, lengths, strict=True):
        what = _changed(entry, was[offset:offset + length])
        offset += length
        if what is not None:
            found.append((what, entry[4]))
    expected = list(versions)
    for i, (entry, tag, had) in enumerate(zip(tagged, tags, held, strict=True)):
        version = tag.value
        if version != expected[i]:
            shadows = entry[6]() if entry[6] is not None else None
            what = _changed(entry, had) or (f"{entry[0]}.{shadows}" if shadows else None)
            if what is None:
                expected[i] = version
            else:
                found.append((what, entry[4]))
    return found, (items, reads, lengths, was, tagged, tags, tuple(expected), held)


def install(tracker_code: tuple[Any, ...], trusted: tuple[str, ...]) -> None:
    """Add the sentinel's audit hook. ``tracker_code``: the code objects allowed to report
    tracker events (the tracker's ``enter`` and ``leave``); ``trusted``: the folders of the
    grader's code, whose calls alone may arm, seal and report the clock."""
    state: dict[str, Any] = {"hot": bundle([]), "cold": bundle([]), "armed": False,
                             "violations": [],
                             "findings": [], "seen": set(), "dropped": 0,
                             "trackers": {}, "timers": {}, "file": "", "busy": False}
    getframe, changes, same = sys._getframe, _changes, identity
    call, is_not, chain, tag_value = operator.call, operator.is_not, itertools.chain, _tag_value
    # the thread's pause, as the C function (blockbuster wraps time.sleep after import)
    sleep, start_thread = _sleep, _thread.start_new_thread
    function_type, setters = types.FunctionType, frozenset(_FUNCTION_SETTERS)

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

    def compare(which: str) -> None:
        _, reads, lengths, was, _, tags, versions, _ = watched = state[which]
        try:  # all at once, at C speed; entry by entry only to name what changed
            now = tuple(map(call, reads))
            if tuple(map(tag_value, tags)) == versions and tuple(map(len, now)) == lengths \
                    and not any(map(is_not, chain.from_iterable(now), was)):
                return
        except Exception:  # whatever broke a read, something changed: see which below
            pass
        found, state[which] = changes(watched)
        for what, kind in found:
            if what in state["violations"]:
                continue
            state["violations"].append(what)
            if kind == PATCHES:
                note(PATCHES, f"replaced {what}: the grader measures with the standard "
                     "library as it is")
            else:
                note(REWRITES, f"{what} was changed while the submission ran: the grader's "
                     "instruments must be left as they are")

    def guard() -> None:  # the sentinel thread
        while True:
            sleep(CHECK_EVERY)
            if not state["busy"]:  # between requests no student code runs: nothing to watch
                continue
            try:
                compare("hot")
            except Exception:  # never die: the seal checks again
                continue

    def trusted_caller() -> bool:
        """Whether the code that raised the event (above the hook and its handler) is the
        grader's."""
        return getframe(3).f_code.co_filename.startswith(trusted)

    def on_finding(args: tuple[Any, ...]) -> None:
        note(*args)

    def on_track(args: tuple[Any, ...]) -> None:
        tracker, delta = args
        if getframe(2).f_code not in tracker_code:  # 0: here, 1: the hook, 2: who raised it
            note("forges-counts", "a tracker event came from outside the tracker")
            return
        account = state["trackers"].setdefault(same(tracker), [tracker, 0, 0, 0])
        if delta > 0:
            account[1] += 1
            account[2] += 1
            account[3] = max(account[3], account[2])
        else:
            account[2] -= 1

    def on_timer(args: tuple[Any, ...]) -> None:
        loop_key, due = args
        timers = state["timers"]
        if due > timers.get(loop_key, due - 1):
            timers[loop_key] = due

    def on_loop(args: tuple[Any, ...]) -> None:  # a new loop: a new account
        if trusted_caller():
            state["timers"].pop(same(args[0]), None)

    def on_clock(args: tuple[Any, ...]) -> None:
        if not trusted_caller():
            return
        start, end, loop = args
        latest = state["timers"].pop(same(loop), None)
        if latest is not None and end < latest - 1e-3:
            note("rewinds-clock", f"the loop's clock ended at {end - start:g} s, before "
                 f"a timer it ran, due at {latest - start:g} s: it was set back")
        if "time" in vars(loop):
            note("rewinds-clock", "the event loop's time() was replaced")

    def on_setattr(args: tuple[Any, ...]) -> None:
        """A function's code or defaults set (the only way to change them, short of raw
        memory): on the grader's own functions, that is rewriting an instrument."""
        target, name = args[0], args[1]
        if not state["armed"] or type(target) is not function_type or name not in setters \
                or not target.__code__.co_filename.startswith(trusted):
            return
        frame: Any = getframe(2)
        line = None
        while frame is not None:  # the submission's line that did it, if it is on the stack
            if frame.f_code.co_filename.endswith(state["file"]):
                line = frame.f_lineno
                break
            frame = frame.f_back
        note(REWRITES, f"changes {name} of the grader's {target.__qualname__}: the grader's "
             "instruments must be left as they are", {"file": state["file"], "line": line})

    def on_arm(args: tuple[Any, ...]) -> None:
        if state["armed"] or not trusted_caller():
            return
        state["armed"] = True
        state["hot"], state["cold"], state["file"] = args
        state["busy"] = True  # the student's module is imported next
        start_thread(guard, ())

    def on_stash(args: tuple[Any, ...]) -> None:
        if trusted_caller():
            state["id"] = args[0]
            state["busy"] = True

    def on_seal(args: tuple[Any, ...]) -> None:
        if not trusted_caller():
            return
        out, answer = args
        state["busy"] = False
        if "id" in state:
            answer["id"] = state.pop("id")
        compare("hot")
        compare("cold")
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

    handlers: dict[str, Callable[[tuple[Any, ...]], None]] = {
        "aiograde.finding": on_finding, "aiograde.track": on_track,
        "aiograde.timer": on_timer, "aiograde.loop": on_loop, "aiograde.clock": on_clock,
        "aiograde.arm": on_arm, "aiograde.stash": on_stash, "aiograde.seal": on_seal,
        "object.__setattr__": on_setattr, "object.__delattr__": on_setattr}
    handler_for = handlers.get

    def hook(event: str, args: tuple[Any, ...]) -> None:
        # every audit event of the process comes here: answered with one lookup
        handler = handler_for(event)
        if handler is not None:
            handler(args)

    sys.addaudithook(hook)
