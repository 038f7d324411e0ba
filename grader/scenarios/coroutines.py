"""Scenarios for ``coroutines``: values, printed lines, and the loops ``run_double`` makes.

``print_double`` and ``run_double`` call ``async_double`` by its global name, so a
scenario may swap in a twin that records where (and whether) it ran; the original is
always put back, because the module lives on for the next scenario.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

from grader._child.kit import scenario


def _plain_result(value: Any) -> Any:
    """What a student function gave back, readable in feedback (no memory addresses)."""
    if inspect.iscoroutine(value):
        name = getattr(value, "__qualname__", "?")
        if inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
            value.close()  # reported here; no second report as "never awaited"
        return {"coroutine": name}
    if inspect.isawaitable(value):
        return {"awaitable": type(value).__name__}
    return {"value": value} if type(value) in (int, float, str, bool, type(None)) else \
        {"object": type(value).__name__}


@scenario("virtual")
async def async_double(mod: Any, xs: list[int]) -> dict[str, Any]:
    results = []
    for x in xs:
        made = mod.async_double(x)
        if not inspect.isawaitable(made):
            results.append({"not_awaitable": _plain_result(made)})
            continue
        results.append({"value": await made})
    return {"returned": results, "coroutine_function": inspect.iscoroutinefunction(mod.async_double)}


@scenario("virtual")
async def print_double(mod: Any, x: int, twin: bool = False) -> dict[str, Any]:
    record = {"started": 0, "finished": 0}
    original = mod.async_double

    async def async_double(x: int) -> str:
        record["started"] += 1
        await asyncio.sleep(0)  # a real suspension: the caller must await, not peek
        record["finished"] += 1
        return f"twin says {2 * x}"

    async_double.__name__ = async_double.__qualname__ = "async_double"  # as the student knows it
    if twin:
        mod.async_double = async_double
    try:
        made = mod.print_double(x)
        awaitable = inspect.isawaitable(made)
        returned = await made if awaitable else _plain_result(made)
    finally:
        mod.async_double = original
    return {"returned": returned, "awaitable": awaitable, "twin": record}


@scenario("sync")
def run_double(mod: Any, xs: list[int]) -> dict[str, Any]:
    # A plain twin of async_double, so that a fault of async_double is not counted again here.
    async def async_double(x: int) -> int:
        return 2 * x

    async_double.__qualname__ = "async_double"
    original, mod.async_double = mod.async_double, async_double
    try:
        return {"returned": [_plain_result(mod.run_double(x)) for x in xs]}
    finally:
        mod.async_double = original


class _LoopWatch:
    """Every loop made through the policy (asyncio.run, Runner, new_event_loop, get_event_loop)
    and every loop the twin of ``async_double`` ran on."""

    def __init__(self, mod: Any) -> None:
        self.mod = mod
        self.created: list[asyncio.AbstractEventLoop] = []
        self.ran_on: list[asyncio.AbstractEventLoop] = []
        self.coros: list[Any] = []
        self.ours: list[asyncio.AbstractEventLoop] = []  # made on the scenario's own thread

        async def async_double(x: int) -> int:
            self.ran_on.append(asyncio.get_running_loop())
            return 2 * x

        async_double.__qualname__ = "async_double"
        self._twin_body = async_double

    def twin(self, x: int) -> Any:
        coro = self._twin_body(x)
        self.coros.append(coro)
        return coro

    def __enter__(self) -> _LoopWatch:
        self.policy = asyncio.get_event_loop_policy()
        original_new = self.policy.new_event_loop

        here = threading.get_ident()

        def new_event_loop() -> asyncio.AbstractEventLoop:
            loop = original_new()
            self.created.append(loop)
            if threading.get_ident() == here:
                self.ours.append(loop)
            return loop

        self.policy.new_event_loop = new_event_loop  # type: ignore[method-assign]
        self.original = self.mod.async_double
        self.mod.async_double = self.twin
        return self

    def __exit__(self, *exc: Any) -> None:
        self.mod.async_double = self.original
        self.policy.__dict__.pop("new_event_loop", None)
        for coro in self.coros:  # a coroutine asyncio refused to run: no warning noise
            if inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()

    def report(self) -> dict[str, Any]:
        return {
            "runs": len(self.ran_on),
            "ran_on_closed": [loop.is_closed() for loop in self.ran_on],
            "distinct_loops": len({id(loop) for loop in self.ran_on}),
            "created": len(self.created),
            "created_open": sum(not loop.is_closed() for loop in self.created),
        }

    def close_leftovers(self) -> None:
        # Only loops of this thread: one a student's thread is about to run is not ours to touch.
        for loop in self.ours:
            if not loop.is_closed() and not loop.is_running():
                loop.close()


@scenario("sync")
def run_double_loops(mod: Any, xs: list[int], nested_x: int) -> dict[str, Any]:
    """run_double from plain code (each x), then from a coroutine on a running loop."""
    plain: dict[str, Any] = {}
    with _LoopWatch(mod) as watch:
        try:
            plain["returned"] = [_plain_result(mod.run_double(x)) for x in xs]
        finally:
            plain.update(watch.report())
    watch.close_leftovers()
    asyncio.set_event_loop(None)

    nested: dict[str, Any] = {}
    outer = asyncio.new_event_loop()

    async def main() -> None:
        with _LoopWatch(mod) as inner:
            try:
                nested["returned"] = _plain_result(mod.run_double(nested_x))
            except Exception as exc:
                nested["raised"] = exc
            finally:
                nested.update(inner.report())
        await asyncio.sleep(0)  # the outer loop must still work afterwards
        nested["outer_still_current"] = asyncio.get_running_loop() is outer
        inner.close_leftovers()

    try:
        outer.run_until_complete(asyncio.wait_for(main(), 5.0))
        nested["outer_ok"] = not outer.is_closed()
    except BaseException as exc:  # the student's code stopped or closed the outer loop
        nested["outer_ok"] = False
        nested["outer_error"] = exc
    finally:
        if not outer.is_running():
            outer.close()
        asyncio.set_event_loop(None)
    return {"plain": plain, "nested": nested}
