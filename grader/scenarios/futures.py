"""Scenarios for ``futures``: futures made, resolved and watched on the virtual clock.

Every future a scenario looks at is described as a :class:`FutureState` (``_state``), and
any exception it holds is retrieved there, so that no "exception was never retrieved"
report is blamed on the student.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from grader._child.kit import Result, now, scenario
from grader._child.plain import safe_str

from ._common import RAISABLE


class FutureState(Result):
    """What a future holds: pending, cancelled, a result or an exception."""

    kind: str  # "not a future" | "pending" | "cancelled" | "exception" | "result"
    type: str = ""  # kind "not a future": the type of what came instead
    exception: Any = None  # kind "exception": the exception it holds
    result: Any = None  # kind "result": its result


class Resolved(Result):
    returned: FutureState  # what resolved(value) returned, before the loop ran anything else
    same_object: bool = False  # it holds the very object it was given
    same_loop: bool = False  # it belongs to the running loop
    after_a_loop_turn: FutureState | None = None  # the same future, after two loop turns


class ResolvedLater(Result):
    returned: Any
    returned_at: float  # loop seconds from the call until resolve_later returned
    state: FutureState  # the future, the moment resolve_later returned
    settled_at: float | None  # loop seconds from the call until the future was done
    same_object: bool  # it holds the very object given as the value


class CallbackError(Result):
    """What calling one of the callbacks start() was given raised."""

    type: str  # the exception's class name ("no callbacks": start() was never called)
    message: str


class FromCallback(Result):
    after_start: FutureState  # what from_callback(start) returned, looked at at once
    start_calls: int  # how many times start() was called
    callables: list[bool] | None  # whether start's two arguments were callable (None: never called)
    same_loop: bool = False  # the future belongs to the running loop
    states: list[FutureState] = []  # the future after each step
    raised_by: list[CallbackError | None] = []  # what each step's callback call raised
    final: FutureState | None = None  # the future after the last step
    same_object: bool = False  # it holds the very object the first callback was given


def _state(fut: Any) -> FutureState:
    if not isinstance(fut, asyncio.Future):
        return FutureState(kind="not a future", type=type(fut).__name__)
    if not fut.done():
        return FutureState(kind="pending")
    if fut.cancelled():
        return FutureState(kind="cancelled")
    exc = fut.exception()  # retrieves it, too
    if exc is not None:
        return FutureState(kind="exception", exception=exc)
    return FutureState(kind="result", result=fut.result())


def _not_a_future(value: Any) -> FutureState:
    if inspect.iscoroutine(value):
        value.close()  # an `async def` by mistake: say so instead of "never awaited"
        return FutureState(kind="not a future", type="coroutine")
    return _state(value)


@scenario("virtual")
async def resolved(mod: Any, value: Any) -> Resolved:
    loop = asyncio.get_running_loop()
    fut = mod.resolved(value)
    at_once = _not_a_future(fut)  # before this coroutine lets the loop run anything else
    if at_once.kind == "not a future":
        return Resolved(returned=at_once)
    same_object = at_once.kind == "result" and fut.result() is value
    same_loop = fut.get_loop() is loop
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return Resolved(returned=at_once, same_object=same_object, same_loop=same_loop,
                    after_a_loop_turn=_state(fut))


@scenario("virtual")
async def resolve_later(mod: Any, delay: float, value: Any, meddle: str | None = None,
                        meddle_at: float = 0.0) -> ResolvedLater:
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
    return ResolvedLater(
        returned=returned, returned_at=returned_at, state=state,
        settled_at=settled[0] if settled else None,
        same_object=state.kind == "result" and fut.result() is value)


def _exception(step: dict[str, Any]) -> BaseException:
    return RAISABLE[step.get("raise", "ValueError")](step.get("message", "callback failure"))


async def _turn() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


@scenario("virtual")
async def from_callback(mod: Any, steps: list[dict[str, Any]], first_inside_start: bool = False,
                        gap: float = 1.0) -> FromCallback:
    """Calls the callbacks ``start`` receives as ``steps`` say, in order, on the loop's thread:
    ``{"call": "success", "value": v}`` or ``{"call": "error", "raise": "ValueError",
    "message": m}``. The first step runs inside ``start`` (``first_inside_start``) or
    ``gap`` seconds after ``from_callback`` returned; each later one ``gap`` seconds after
    the one before. What each call raised is recorded, not propagated."""
    loop = asyncio.get_running_loop()
    received: list[list[bool]] = []  # for each call of start: are its arguments callable
    callbacks: list[tuple[Any, Any]] = []
    values: list[Any] = []  # the very objects handed to the callbacks, for identity checks

    def argument(step: dict[str, Any]) -> Any:
        arg = step.get("value") if step["call"] == "success" else _exception(step)
        values.append(arg)
        return arg

    def call(step: dict[str, Any]) -> CallbackError | None:
        if not callbacks:
            return CallbackError(type="no callbacks", message="start() was never called")
        on_success, on_error = callbacks[0]
        target = on_success if step["call"] == "success" else on_error
        try:
            target(argument(step))
        except Exception as exc:  # what a student's callback raised is data, not an error
            return CallbackError(type=type(exc).__name__, message=safe_str(exc, 200))
        return None

    raised_by: list[CallbackError | None] = []

    def start(on_success: Any, on_error: Any) -> None:
        received.append([callable(on_success), callable(on_error)])
        callbacks.append((on_success, on_error))
        if first_inside_start and len(callbacks) == 1:
            raised_by.append(call(steps[0]))

    fut = mod.from_callback(start)
    out = FromCallback(after_start=_not_a_future(fut), start_calls=len(received),
                       callables=received[0] if received else None)
    if out.after_start.kind == "not a future":
        return out
    out.same_loop = fut.get_loop() is loop
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
    out.states, out.raised_by, out.final = states, raised_by, final
    out.same_object = bool(values) and (
        (final.kind == "result" and fut.result() is values[0])
        or (final.kind == "exception" and fut.exception() is values[0]))
    return out
