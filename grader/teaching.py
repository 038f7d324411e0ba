"""The one-line teaching messages for the loop's health, shared by the grader's suites
(``grader/testing.py``) and the course's pytest plugin for the public checks
(``checks/conftest.py``), so that a student reads the same words in both.

Each function takes ``call`` (what was being run, e.g. ``slow_square(3, 2.0)`` or
``the check squares run concurrently``) and what was seen, as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def location(where: Mapping[str, Any] | None) -> str:
    """`` at gathering.py:20 in slow_square (time.sleep(delay))``, or nothing."""
    if not where:
        return ""
    code = f" ({where['code']})" if where.get("code") else ""
    function = f" in {where['function']}" if where.get("function") else ""
    return f" at {where['file']}:{where['line']}{function}{code}"


def blocking(call: str, name: str, where: Mapping[str, Any] | None) -> str:
    return (f"{call} blocked the event loop with a call to {name}{location(where)}. While it "
            "waits, no other task can run. Use the asyncio equivalent (`await asyncio.sleep`, "
            "streams, `create_subprocess_exec`) or run it in a thread with "
            "`await asyncio.to_thread(...)`.")


def never_awaited(call: str, what: str) -> str:
    return (f"{call}: {what}. Calling an async function only creates a coroutine; it runs when "
            "you `await` it (or wrap it in a task).")


def leftover_task(call: str, task: str, extra: str = "") -> str:
    return (f"After {call} returned, {task} was still running. A function must cancel (and "
            "await) the tasks it started before it returns." + extra)


def leftover_timer(call: str, timer: str, extra: str = "") -> str:
    return (f"After {call}, a delayed call was still scheduled: {timer}. Cancel the handles you "
            "no longer need." + extra)


def leftover_thread(call: str, thread: str, extra: str = "") -> str:
    return (f"After {call}, a thread was still running: {thread}. Shut private pools down "
            "(`await asyncio.to_thread(pool.shutdown)`)." + extra)


def uncancellable(call: str, task: str, extra: str = "") -> str:
    return (f"After {call}, {task} was still running and ignored cancellation. Never swallow "
            "CancelledError: re-raise it after cleaning up." + extra)


def never_finished(call: str, seconds: float) -> str:
    return (f"{call} did not finish within {seconds:g} s of loop time. Is something waiting "
            "forever, a loop that never ends, or a CancelledError swallowed so that cancelling "
            "never ends it?")
