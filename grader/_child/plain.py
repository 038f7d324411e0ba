"""Turn whatever student code returned into plain JSON data.

Only exact built-in types pass as themselves (``type(x) is int``, not
``isinstance``), so an object that lies in ``__eq__`` or subclasses ``int`` cannot
pass for a right answer: it arrives in the parent as an opaque repr.
"""

from __future__ import annotations

import asyncio
import builtins
import concurrent.futures
import linecache
import math
import re
import subprocess
import traceback
from types import TracebackType
from typing import Any

import msgspec

from grader._wire import ClassInfo, ExceptionInfo, Location

MAX_ITEMS = 10_000
MAX_DEPTH = 20
MAX_TEXT = 20_000

# Files of the submission; set by the worker before it imports student code.
STUDENT_FILES: set[str] = set()


# An object's address in its default repr ("<Lock object at 0x7f...>"): different at every
# run, so a report would differ between two gradings of the same code; it tells nothing.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def safe_repr(value: object, limit: int = 300) -> str:
    try:
        text = repr(value)
    except BaseException as exc:  # a hostile __repr__ must not break the report
        text = f"<{type(value).__name__} object; repr() raised {type(exc).__name__}>"
    if not isinstance(text, str):
        text = f"<{type(value).__name__} object>"
    return _shortened(_ADDRESS.sub("", text[: 2 * limit]), limit)


def safe_str(value: object, limit: int = 2000) -> str:
    try:
        text = str(value)
    except BaseException as exc:
        text = f"<str() raised {type(exc).__name__}>"
    if not isinstance(text, str):
        text = "<str() did not return text>"
    return _shortened(_ADDRESS.sub("", text[: 2 * limit]), limit)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain(value: Any, depth: int = 0) -> Any:
    kind = type(value)
    if value is None or kind is bool or (kind is str and len(value) <= MAX_TEXT):
        return value
    if kind is int:
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if depth >= MAX_DEPTH:
        return opaque(value)
    if kind is list and len(value) <= MAX_ITEMS:
        return [plain(item, depth + 1) for item in value]
    if kind is tuple and len(value) <= MAX_ITEMS:
        return {"$tuple": [plain(item, depth + 1) for item in value]}
    if isinstance(value, msgspec.Struct):  # a scenario's typed result: its fields, by name
        value = {name: getattr(value, name) for name in value.__struct_fields__}
        kind = dict
    if kind is dict and len(value) <= MAX_ITEMS:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: plain(v, depth + 1) for k, v in value.items()}
        return {"$dict": [[plain(k, depth + 1), plain(v, depth + 1)] for k, v in value.items()]}
    if kind is bytes and len(value) <= MAX_TEXT:
        return {"$bytes": value.hex()}
    if isinstance(value, BaseException):
        return {"$exception": msgspec.to_builtins(describe_exception(value, depth + 1))}
    return opaque(value)


def opaque(value: object) -> dict[str, str]:
    return {"$repr": safe_repr(value), "$type": type_name(type(value))}


def type_name(kind: type) -> str:
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", None) or kind.__name__
    return name if module in ("builtins", "") else f"{module}.{name}"


def student_frames(tb: TracebackType | None) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(tb) if f.filename in STUDENT_FILES]


def where(filename: str, lineno: int | None, function: str) -> Location:
    line = linecache.getline(filename, lineno or 0).strip() if lineno else ""
    return Location(filename.rsplit("/", 1)[-1], lineno, function, line[:200])


def _standard_exceptions() -> dict[int, type]:
    """Every exception class of the modules whose exceptions suites name, by identity.

    Taken when this module is imported, in the fork server, before any student code
    exists: a class a submission builds later (``type("ValueError", ...)``) or rebinds in
    ``builtins`` is never one of these objects."""
    found: dict[int, type] = {}
    import blockbuster.blockbuster
    import looptime

    for module in (builtins, asyncio, asyncio.exceptions, concurrent.futures, subprocess,
                   blockbuster.blockbuster, looptime):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException):
                found[id(value)] = value
    return found


_STANDARD = _standard_exceptions()


def trust_class(kind: type) -> None:
    """Count one of the grader's own exception classes (made before student code) as real."""
    _STANDARD[id(kind)] = kind


def class_info(kind: type) -> ClassInfo:
    module = getattr(kind, "__module__", "") or ""
    qualname = getattr(kind, "__qualname__", None) or kind.__name__
    return ClassInfo(str(module)[:200], str(qualname)[:200], _STANDARD.get(id(kind)) is kind)


def describe_exception(exc: BaseException, depth: int = 0) -> ExceptionInfo:
    frames = student_frames(exc.__traceback__)
    kind = type(exc)
    nested: list[ExceptionInfo] = []
    if isinstance(exc, BaseExceptionGroup) and depth < 5:
        nested = [describe_exception(e, depth + 1) for e in exc.exceptions[:20]]
    return ExceptionInfo(
        type=str(kind.__name__)[:200], qualname=type_name(kind)[:200],
        mro=[class_info(k) for k in kind.__mro__[:50]], message=safe_str(exc),
        where=where(frames[-1].filename, frames[-1].lineno, frames[-1].name) if frames else None,
        id=id(exc), exceptions=nested)
