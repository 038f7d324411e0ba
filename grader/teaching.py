"""The one-line teaching messages for the loop's health, shared by the grader's suites
(``grader/testing.py``) and the course's pytest plugin for the public checks
(``checks/conftest.py``), so that a student reads the same words in both.

Each function takes ``call`` (what was being run, e.g. ``slow_square(3, 2.0)`` or
``the check squares run concurrently``) and what was seen, as plain data.
"""

from __future__ import annotations

import re
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
            f"waits, no other task can run. {blocking_cause(name, where)}")


def blocking_cause(name: str, where: Mapping[str, Any] | None) -> str:
    """What the blocking call was, and the concept that fixes it: named from the call and
    the student's line, never blaming code the exercise gave them."""
    code = str((where or {}).get("code") or "")
    function = str((where or {}).get("function") or "")
    given = function if function.startswith("blocking_") else _called_blocking(code)
    if given:
        return (f"{given} is the given blocking function: it is meant to block, so it must "
                "run in a worker thread (an executor), never on the loop's own thread.")
    if "Executor" in code or "shutdown" in code:
        return ("Leaving a `with ThreadPoolExecutor(...)` block, or calling `shutdown()`, waits "
                "on the loop's thread for every worker to finish: keep the pool open while you "
                "await, and shut it down from a thread.")
    if ".map(" in code or ".result(" in code:
        return ("Collecting the results of work in other threads (`pool.map(...)`, "
                "`future.result()`) waits for them on the loop's thread: await the results "
                "instead (`loop.run_in_executor`, `asyncio.wrap_future`, `asyncio.gather`).")
    if name.endswith("sleep"):
        return ("A sleep that is not awaited stops the whole loop: asyncio has its own, which "
                "lets other tasks run while it waits.")
    if "acquire" in name or "Lock" in code or "Event" in code or "Condition" in code:
        return ("A thread lock (or event, condition, or `queue.Queue`) waited on the loop's "
                "thread: use asyncio's own primitives, or wait for it in a worker thread.")
    return ("Use the asyncio equivalent (streams, `create_subprocess_exec`, ...) or run the "
            "call in a worker thread with `await asyncio.to_thread(...)`.")


def _called_blocking(code: str) -> str:
    """The given blocking function (``blocking_checksum``) the student's line calls, if any."""
    match = re.search(r"\b(blocking_\w+)\(", code)
    return match.group(1) if match else ""


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



def spinning(where: Mapping[str, Any] | None) -> str:
    """``a busy loop in _serve_client at streams.py:14 (while True:)``: the function that
    spins first, for that is what to fix, whichever call the grader was waiting for."""
    if not where:
        return "a busy loop"
    function = f" in {where['function']}" if where.get("function") else ""
    code = f" ({where['code']})" if where.get("code") else ""
    return f"a busy loop{function} at {where['file']}:{where['line']}{code}"


def busy_loop(call: str, where: Mapping[str, Any] | None, cpu: float) -> str:
    """One loop step that computed for ``cpu`` seconds, and then ended."""
    return (f"During {call}, {spinning(where)} kept the event loop busy for {cpu:g} s of CPU "
            "in one step, never giving it back meanwhile: no other task, callback or I/O "
            "could run. A loop that spins (e.g. polling a clock or a variable) starves every "
            "other task: await something that waits instead.")


def busy_loop_forever(call: str, seconds: float, where: Mapping[str, Any] | None) -> str:
    """A step that never ended because its thread spun on the CPU: named by the function
    that spins and its line, not by the call the grader was waiting for, which may have
    returned long before. (No measured figure: the same code gets the same words.)"""
    found = spinning(where)
    return (f"{found[0].upper()}{found[1:]} kept the event loop's thread busy on the CPU "
            f"and never gave the loop back: no other task, callback or I/O could run, and "
            f"{call} was stopped after {seconds:g} s of "
            "real time. A loop in a coroutine that never awaits anything that waits keeps "
            "the event loop to itself, for ever if it never ends.")


def stuck_waiting(call: str, seconds: float, where: Mapping[str, Any] | None) -> str:
    """A step that never ended because its thread waited (off the CPU) in one call."""
    return (f"{call} did not finish within {seconds:g} s of real time and was stopped: the "
            f"event loop was stuck{location(where)}, waiting without using the CPU. A blocking "
            "call or a thread lock waited on the loop's thread blocks every task, and here, "
            "forever: await an asyncio primitive instead.")


def held(call: str, where: Mapping[str, Any] | None, seconds: float) -> str:
    """One loop step that waited ``seconds`` off the CPU in a call nobody patched: named by
    what such a wait can be, since the call itself is not known."""
    return (f"{call} blocked the event loop: one step waited {seconds:g} s without using the "
            f"CPU{location(where)}, and no other task could run meanwhile. A thread lock (or "
            "event, or `queue.Queue`) waited on, a blocking read or a sleep on the loop's "
            "thread does that: await an asyncio equivalent, or move the call to a thread with "
            "`await asyncio.to_thread(...)`.")
