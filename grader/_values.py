"""Decode the child's plain data (see ``grader._child.plain``) into Python values.

Nothing here executes or unpickles anything: tags become tuples, bytes, and two
inert record types for what could not be sent as itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Raised:
    """An exception seen in the child, described, never re-created."""

    type: str
    qualname: str
    lineage: tuple[str, ...]  # the names of its class and base classes
    message: str
    where: dict[str, Any] | None = None
    id: int | None = None
    exceptions: tuple[Raised, ...] = field(default_factory=tuple)

    def is_a(self, name: str) -> bool:
        return name in self.lineage

    @property
    def location(self) -> str:
        if not self.where:
            return ""
        w = self.where
        code = f": {w['code']}" if w.get("code") else ""
        return f" at {w['file']}:{w['line']} in {w['function']}{code}"

    def __str__(self) -> str:
        text = f"{self.type}: {self.message}" if self.message else self.type
        return text + self.location

    def __repr__(self) -> str:  # as the exception's own repr would read, for feedback
        return f"{self.type}({self.message!r})"


@dataclass(frozen=True)
class Opaque:
    """A value of a type that does not cross the boundary: only its type and repr do."""

    type: str
    repr: str

    def __repr__(self) -> str:
        return self.repr


def raised(info: dict[str, Any] | None) -> Raised | None:
    if info is None:
        return None
    return Raised(
        type=str(info.get("type", "?")), qualname=str(info.get("qualname", "?")),
        lineage=tuple(info.get("mro") or ()), message=str(info.get("message", "")),
        where=info.get("where"), id=info.get("id"),
        exceptions=tuple(r for r in (raised(e) for e in info.get("exceptions", ())) if r),
    )


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
