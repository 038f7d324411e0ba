"""Scenarios for ``futures``: futures made, resolved and watched on the virtual clock.

Every future a scenario looks at is described as plain data (``_state``), and any
exception it holds is retrieved there, so that no "exception was never retrieved"
report is blamed on the student.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from grader._child.kit import now, scenario
from grader._child.plain import safe_str

from ._common import RAISABLE


def _state(fut: Any) -> dict[str, Any]:
    """What a future holds, as plain data: pending, cancelled, a result or an exception."""
    if not isinstance(fut, asyncio.Future):
        return {"kind": "not a future", "type": type(fut).__name__}
    if not fut.done():
        return {"kind": "pending"}
    if fut.cancelled():
        return {"kind": "cancelled"}
    exc = fut.exception()  # retrieves it, too
    if exc is not None:
        return {"kind": "exception", "exception": exc}
    return {"kind": "result", "result": fut.result()}


def _not_a_future(value: Any) -> dict[str, Any]:
    if inspect.iscoroutine(value):
        value.close()  # an `async def` by mistake: say so instead of "never awaited"
        return {"kind": "not a future", "type": "coroutine"}
    return _state(value)


@scenario("virtual")
async def resolved(mod: Any, value: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    fut = mod.resolved(value)
    at_once = _not_a_future(fut)  # before this coroutine lets the loop run anything else
    out: dict[str, Any] = {"returned": at_once, "type": type(fut).__name__}
    if at_once["kind"] == "not a future":
        return out
    out["same_object"] = at_once["kind"] == "result" and fut.result() is value
    out["same_loop"] = fut.get_loop() is loop
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    out["after_a_loop_turn"] = _state(fut)
    return out


@scenario("virtual")
async def resolve_later(mod: Any, delay: float, value: Any, meddle: str | None = None,
                        meddle_at: float = 0.0) -> dict[str, Any]:
    """``meddle``: "cancel"/"resolve" the future ``meddle_at`` seconds after the call
    (0 means: before the call), as another part of a program would."""
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    t0 = now()
    settled: list[float] = []
    fut.add_done_callback(lambda _: settled.append(round(now() - t0, 6)))

    def meddle_now() -> None:
        if fut.done():
            return
        if meddle == "cancel":
            fut.cancel()
        else:
            fut.set_result("first")

    handle = None
    if meddle is not None:
        if meddle_at <= 0:
            meddle_now()
        else:
            handle = loop.call_later(meddle_at, meddle_now)
    try:
        returned = await mod.resolve_later(fut, delay, value)
    finally:
        if handle is not None:
            handle.cancel()  # ours: never leave it to be blamed on the student
    returned_at = round(now() - t0, 6)
    state = _state(fut)
    await asyncio.sleep(0)  # done callbacks run on the loop's next turn (no loop time passes)
    return {
        "returned": returned, "returned_at": returned_at, "state": state,
        "settled_at": settled[0] if settled else None,
        "same_object": state["kind"] == "result" and fut.result() is value,
    }


def _exception(step: dict[str, Any]) -> BaseException:
    return RAISABLE[step.get("raise", "ValueError")](step.get("message", "callback failure"))


async def _turn() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


@scenario("virtual")
async def from_callback(mod: Any, steps: list[dict[str, Any]], first_inside_start: bool = False,
                        gap: float = 1.0) -> dict[str, Any]:
    """Calls the callbacks ``start`` receives as ``steps`` say, in order, on the loop's thread:
    ``{"call": "success", "value": v}`` or ``{"call": "error", "raise": "ValueError",
    "message": m}``. The first step runs inside ``start`` (``first_inside_start``) or
    ``gap`` seconds after ``from_callback`` returned; each later one ``gap`` seconds after
    the one before. What each call raised is recorded, not propagated."""
    loop = asyncio.get_running_loop()
    received: list[dict[str, Any]] = []
    callbacks: list[tuple[Any, Any]] = []
    values: list[Any] = []  # the very objects handed to the callbacks, for identity checks

    def argument(step: dict[str, Any]) -> Any:
        arg = step.get("value") if step["call"] == "success" else _exception(step)
        values.append(arg)
        return arg

    def call(step: dict[str, Any]) -> dict[str, Any] | None:
        if not callbacks:
            return {"type": "no callbacks", "message": "start() was never called"}
        on_success, on_error = callbacks[0]
        target = on_success if step["call"] == "success" else on_error
        try:
            target(argument(step))
        except Exception as exc:  # what a student's callback raised is data, not an error
            return {"type": type(exc).__name__, "message": safe_str(exc, 200)}
        return None

    raised_by: list[dict[str, Any] | None] = []

    def start(on_success: Any, on_error: Any) -> None:
        received.append({"callable": [callable(on_success), callable(on_error)]})
        callbacks.append((on_success, on_error))
        if first_inside_start and len(callbacks) == 1:
            raised_by.append(call(steps[0]))

    fut = mod.from_callback(start)
    out: dict[str, Any] = {
        "type": type(fut).__name__, "start_calls": len(received),
        "callables": received[0]["callable"] if received else None,
        "after_start": _not_a_future(fut),
    }
    if out["after_start"]["kind"] == "not a future":
        return out
    out["same_loop"] = fut.get_loop() is loop
    states = []
    for i, step in enumerate(steps):
        if i > 0 or not first_inside_start:
            await asyncio.sleep(gap)
            raised_by.append(call(step))
        # One loop turn (no loop time) before looking: setting the future from a
        # callback scheduled with call_soon is as good as setting it at once.
        await _turn()
        states.append(_state(fut))
    final = states[-1] if states else _state(fut)
    out.update({
        "states": states, "raised_by": raised_by, "final": final,
        # The future must hold the very object the first callback was given.
        "same_object": bool(values) and (
            (final["kind"] == "result" and fut.result() is values[0])
            or (final["kind"] == "exception" and fut.exception() is values[0])),
    })
    return out
