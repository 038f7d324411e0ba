"""Decode the child's plain data (see ``grader._child.plain``) into Python values.

Nothing here executes or unpickles anything: tags become tuples, bytes, and two
inert record types for what could not be sent as itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from ._wire import ExceptionInfo, WireError

# An exception seen in the child, described, never re-created.
Raised = ExceptionInfo


@dataclass(frozen=True)
class Opaque:
    """A value of a type that does not cross the boundary: only its type and repr do."""

    type: str
    repr: str

    def __repr__(self) -> str:
        return self.repr


def raised(info: Any) -> Raised:
    """An exception's description from its tagged plain form, decoded strictly."""
    try:
        return msgspec.convert(info, ExceptionInfo)
    except msgspec.ValidationError as exc:
        raise WireError(f"an exception's description: {exc}") from None


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "$tuple" in data:
        return tuple(decode(item) for item in data["$tuple"])
    if "$dict" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["$dict"]}
    if "$bytes" in data:
        return bytes.fromhex(data["$bytes"])
    if "$int" in data:
        return int(data["$int"])
    if "$float" in data:
        return float(data["$float"])
    if "$exception" in data:
        return raised(data["$exception"])
    if "$repr" in data:
        return Opaque(str(data.get("$type", "?")), str(data["$repr"]))
    return {k: decode(v) for k, v in data.items()}


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def show(value: Any, limit: int = 300) -> str:
    """A short repr for feedback."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
