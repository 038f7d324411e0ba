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

from grader._child.kit import Result, scenario


class Gave(Result):
    """What a student function gave back, readable in feedback (no memory addresses)."""

    kind: str  # "value" | "coroutine" (never run) | "awaitable" (not a value) | "object"
    value: Any = None  # kind "value": the value itself
    name: str = ""  # the coroutine's qualname, or the type's name


class Doubled(Result):
    not_awaitable: Gave | None  # what async_double(x) returned, when it was nothing to await
    value: Any  # what awaiting it gave


class Doubles(Result):
    returned: list[Doubled]  # one per x
    coroutine_function: bool  # async_double is declared with `async def`


class TwinRuns(Result):
    started: int  # calls of the twin of async_double that began
    finished: int  # and that ran to the end


class Printed(Result):
    returned: Any  # what awaiting print_double(x) gave
    not_awaitable: Gave | None  # what print_double(x) returned, when it was nothing to await
    twin: TwinRuns


class Values(Result):
    returned: list[Gave]  # run_double(x), one per x


class LoopReport(Result):
    """The loops made while run_double ran, and the loops the twin of async_double ran on."""

    runs: int  # runs of the twin
    ran_on_closed: list[bool]  # for each run: its loop was closed afterwards
    distinct_loops: int  # different loops the runs were on
    created: int  # loops created through the policy
    created_open: int  # of which still open afterwards


class PlainCalls(Result):
    returned: list[Gave]  # run_double(x), one per x
    loops: LoopReport


class NestedCall(Result):
    """run_double called from a coroutine while a loop is running."""

    returned: Gave | None = None
    raised: Any = None  # what run_double raised
    loops: LoopReport | None = None
    outer_still_current: bool = False  # the outer loop was still the running one afterwards
    outer_ok: bool = False  # the outer loop ran to the end and was not closed
    outer_error: Any = None  # what stopped the outer loop


class Loops(Result):
    plain: PlainCalls
    nested: NestedCall


def _gave(value: Any) -> Gave:
    if inspect.iscoroutine(value):
        name = getattr(value, "__qualname__", "?")
        if inspect.getcoroutinestate(value) == inspect.CORO_CREATED:
            value.close()  # reported here; no second report as "never awaited"
        return Gave(kind="coroutine", name=str(name))
    if inspect.isawaitable(value):
        return Gave(kind="awaitable", name=type(value).__name__)
    if type(value) in (int, float, str, bool, type(None)):
        return Gave(kind="value", value=value)
    return Gave(kind="object", name=type(value).__name__)


@scenario("virtual")
async def async_double(mod: Any, xs: list[int]) -> Doubles:
    results = []
    for x in xs:
        made = mod.async_double(x)
        if not inspect.isawaitable(made):
            results.append(Doubled(not_awaitable=_gave(made), value=None))
            continue
        results.append(Doubled(not_awaitable=None, value=await made))
    return Doubles(returned=results,
                   coroutine_function=inspect.iscoroutinefunction(mod.async_double))


@scenario("virtual")
async def print_double(mod: Any, x: int, twin: bool = False) -> Printed:
    record = TwinRuns(started=0, finished=0)
    original = mod.async_double

    async def async_double(x: int) -> str:
        record.started += 1
        await asyncio.sleep(0)  # a real suspension: the caller must await, not peek
        record.finished += 1
        return f"twin says {2 * x}"

    async_double.__name__ = async_double.__qualname__ = "async_double"  # as the student knows it
    if twin:
        mod.async_double = async_double
    try:
        made = mod.print_double(x)
        if not inspect.isawaitable(made):
            return Printed(returned=None, not_awaitable=_gave(made), twin=record)
        returned = await made
    finally:
        mod.async_double = original
    return Printed(returned=returned, not_awaitable=None, twin=record)


@scenario("sync")
def run_double(mod: Any, xs: list[int]) -> Values:
    # A plain twin of async_double, so that a fault of async_double is not counted again here.
    async def async_double(x: int) -> int:
        return 2 * x

    async_double.__qualname__ = "async_double"
    original, mod.async_double = mod.async_double, async_double
    try:
        return Values(returned=[_gave(mod.run_double(x)) for x in xs])
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

    def report(self) -> LoopReport:
        return LoopReport(
            runs=len(self.ran_on),
            ran_on_closed=[loop.is_closed() for loop in self.ran_on],
            distinct_loops=len({id(loop) for loop in self.ran_on}),
            created=len(self.created),
            created_open=sum(not loop.is_closed() for loop in self.created),
        )

    def close_leftovers(self) -> None:
        # Only loops of this thread: one a student's thread is about to run is not ours to touch.
        for loop in self.ours:
            if not loop.is_closed() and not loop.is_running():
                loop.close()


@scenario("sync")
def run_double_loops(mod: Any, xs: list[int], nested_x: int) -> Loops:
    """run_double from plain code (each x), then from a coroutine on a running loop."""
    with _LoopWatch(mod) as watch:
        returned = [_gave(mod.run_double(x)) for x in xs]
    plain = PlainCalls(returned=returned, loops=watch.report())
    watch.close_leftovers()
    asyncio.set_event_loop(None)

    nested = NestedCall()
    outer = asyncio.new_event_loop()

    async def main() -> None:
        with _LoopWatch(mod) as inner:
            try:
                nested.returned = _gave(mod.run_double(nested_x))
            except Exception as exc:
                nested.raised = exc
            finally:
                nested.loops = inner.report()
        await asyncio.sleep(0)  # the outer loop must still work afterwards
        nested.outer_still_current = asyncio.get_running_loop() is outer
        inner.close_leftovers()

    try:
        outer.run_until_complete(asyncio.wait_for(main(), 5.0))
        nested.outer_ok = not outer.is_closed()
    except BaseException as exc:  # the student's code stopped or closed the outer loop
        nested.outer_ok = False
        nested.outer_error = exc
    finally:
        if not outer.is_running():
            outer.close()
        asyncio.set_event_loop(None)
    return Loops(plain=plain, nested=nested)
