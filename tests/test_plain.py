"""What the child hands back about student objects (grader/_child/plain.py) reads the same
in every run: a report never differs by an object's address."""

from __future__ import annotations

import asyncio

from grader._child import plain


def test_reprs_and_messages_carry_no_address() -> None:
    lock = asyncio.Lock()
    assert " at 0x" in repr(lock)  # what the interpreter says...
    assert plain.safe_repr(lock) == "<asyncio.locks.Lock object [unlocked]>"  # ...and we
    error = RuntimeError(f"{lock!r} is bound to a different event loop")
    assert plain.safe_str(error) == "<asyncio.locks.Lock object [unlocked]> is bound to a " \
        "different event loop"


def test_long_text_is_still_cut_to_its_limit() -> None:
    assert plain.safe_str("y" * 10_000, limit=100) == "y" * 97 + "..."
    assert plain.safe_repr("y" * 10_000, limit=100) == "'" + "y" * 96 + "..."
