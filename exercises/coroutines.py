"""Lesson 1: coroutines, `async def` and `await`.

An `async def` function does not run when you call it: the call only builds a
*coroutine object*. The body runs when something awaits that object (`await coro`
inside another coroutine) or when an event loop is asked to run it (`asyncio.run`).
Forgetting `await` is the most common asyncio bug: you get a coroutine object instead
of a value, and Python warns "coroutine ... was never awaited".

`await` can only be used inside `async def`. To enter async code from ordinary
synchronous code, start an event loop, run the coroutine on it, and close the loop.

Read: https://docs.python.org/3/library/asyncio-task.html#coroutines
and https://docs.python.org/3/library/asyncio-runner.html
"""

from __future__ import annotations

import asyncio  # noqa: F401  (you will need it)


def regular_double(x: int) -> int:
    """Given, already implemented: return `2 * x`. Compare it with `async_double`."""
    return 2 * x


async def async_double(x: int) -> int:
    """Return `2 * x`, as a coroutine function (the async twin of `regular_double`).

    Like every coroutine of the course, it must not block the event loop.
    """
    raise NotImplementedError


async def print_double(x: int) -> None:
    """Print the value of `async_double(x)` on standard output, as one line.

    `print_double(3)` prints `6`. Call `async_double` through this module's global
    name (a test may replace it with an instrumented twin), and do not block the loop.
    """
    raise NotImplementedError


def run_double(x: int) -> int:
    """A synchronous entry point: return the value of `async_double(x)`.

    It is called from plain synchronous code, with no event loop running. It runs
    `async_double(x)` (called through this module's global name) on a *new* event loop,
    which must be closed before `run_double` returns, and returns its value.
    """
    raise NotImplementedError
