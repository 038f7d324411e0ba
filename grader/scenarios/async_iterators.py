"""Scenarios for ``async_iterators``: sources are async generators made here, which record,
on the virtual clock, every item they yield, whether their ``finally`` ran (and finished),
and what other tasks were still running at the moments the contract cares about."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator
from typing import Any

from grader._child.kit import Result, now, scenario

from ._common import CallerEnd, cancelled_by_caller

# Bounds (virtual seconds) on every wait a scenario adds: only a mistake reaches them.
PATIENCE = 600.0


class SourceReport(Result):
    """How one scripted source ran (times in loop seconds since the scenario started)."""

    name: str
    yielded: list[str]  # its items, in order
    times: list[float]  # when it yielded each
    started: float | None
    ending: str  # "not started" | "running" | "exhausted" | "raised" | "closed" | "cancelled"
    cleanup_started: float | None  # when its `finally` began
    closed: float | None  # when its `finally` finished


class Ticks(Result):
    returned: list[Any]  # the ticks received
    times: list[float]  # when each arrived, in loop seconds since iteration started
    is_async_gen: bool  # ticks(...) returned an async generator
    ended_at: float  # loop seconds from the start of iteration until its end
    hung: bool  # the scenario gave up waiting (PATIENCE)


class Taken(Result):
    returned: Any
    pulled: list[str]  # items the scenario read from the source before calling take
    hung: bool
    took: float  # loop seconds take ran
    read_by_take: int  # items the source yielded while take ran
    source: SourceReport
    closed_when_returned: bool  # the source generator had no frame left when take returned
    others_running: list[str]  # tasks still running when take returned


class Merged(Result):
    returned: list[Any]  # the items received, in order
    times: list[float]  # when each arrived
    ended_at: float  # loop seconds until the merge ended
    sources: list[SourceReport]
    others_running: list[str]  # tasks still running when it ended
    hung: bool


class AtClose(Result):
    """The moment aclose() of the merge returned."""

    closed: list[bool]  # per source: its `finally` had finished
    cleanup_started: list[bool]  # per source: its `finally` had begun
    others_running: list[str]
    close_took: float  # loop seconds aclose() took


class ClosedEarly(Result):
    returned: list[Any]  # the items read before closing
    at_close: AtClose | None  # None: it hung before closing
    sources: list[SourceReport]
    hung: bool


class AtRaise(Result):
    """The moment a source's error reached the consumer."""

    at: float
    closed: list[bool]  # per source: closed (or it raised itself)
    others_running: list[str]


class MergeError(Result):
    returned: list[Any]  # the items received before the error
    raised: Any  # what reached the consumer (None: it ended normally)
    at_raise: AtRaise | None
    hung: bool
    same_exception: bool  # `raised` is the very exception a source raised
    sources: list[SourceReport]


class Source:
    """An async generator described by the parent as data.

    ``{"name": "a", "interval": 1.0, "count": 3}`` yields ``a0, a1, a2`` one every second;
    ``"count": None`` never ends; ``"raise_after": 2.5`` raises ``ValueError`` that many
    seconds after it started, once its ``count`` items are out;
    ``"cleanup": 0.5`` makes its ``finally`` block await for half a second (closing a
    connection, say) before it counts as closed.
    """

    def __init__(self, spec: dict[str, Any], t0: float) -> None:
        self.spec, self.t0 = spec, t0
        self.name = spec.get("name", "s")
        self.yielded: list[tuple[str, float]] = []
        self.started: float | None = None
        self.cleanup_started: float | None = None
        self.closed: float | None = None
        self.ending = "not started"
        self.raised: BaseException | None = None

    def rel(self) -> float:
        return round(now() - self.t0, 6)

    async def gen(self) -> AsyncGenerator[str, None]:
        self.started = self.rel()
        self.ending = "running"
        interval, count = self.spec.get("interval", 1.0), self.spec.get("count")
        raise_after = self.spec.get("raise_after")
        try:
            i = 0
            while count is None or i < count:
                await asyncio.sleep(interval)
                item = f"{self.name}{i}"
                self.yielded.append((item, self.rel()))
                yield item
                i += 1
            if raise_after is not None:
                await asyncio.sleep(max(0.0, raise_after - (self.rel() - self.started)))
                self.raised = ValueError(f"source {self.name} broke")
                self.ending = "raised"
                raise self.raised
            self.ending = "exhausted"
        except GeneratorExit:
            self.ending = "closed"
            raise
        except asyncio.CancelledError:
            self.ending = "cancelled"
            raise
        finally:
            self.cleanup_started = self.rel()
            if self.spec.get("cleanup"):
                await asyncio.sleep(self.spec["cleanup"])
            self.closed = self.rel()

    def report(self) -> SourceReport:
        return SourceReport(name=self.name, yielded=[item for item, _ in self.yielded],
                            times=[t for _, t in self.yielded], started=self.started,
                            ending=self.ending, cleanup_started=self.cleanup_started,
                            closed=self.closed)


def _other_tasks() -> list[str]:
    me = asyncio.current_task()
    return [getattr(t.get_coro(), "__qualname__", None) or repr(t.get_coro())
            for t in asyncio.all_tasks() if t is not me and not t.done()]


def _reraise_unimplemented(exc: BaseException) -> None:
    if isinstance(exc, NotImplementedError):
        raise exc


class _Bound:
    """``with _Bound() as b: async with b.timeout(): ...``: a wait bounded by PATIENCE
    virtual seconds; reaching the bound sets ``b.hung`` instead of raising."""

    def __init__(self) -> None:
        self.hung = False
        self._cm: asyncio.Timeout | None = None

    def timeout(self) -> asyncio.Timeout:
        self._cm = asyncio.timeout(PATIENCE)
        return self._cm

    def __enter__(self) -> _Bound:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if kind is TimeoutError and self._cm is not None and self._cm.expired():
            self.hung = True
            return True
        return False


async def _close_quietly(gen: Any) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(PATIENCE):
            await gen.aclose()


# -- ticks -------------------------------------------------------------------------------

@scenario("virtual")
async def ticks(mod: Any, interval: float, count: int, wait_first: float = 0.0,
                stop_after: int | None = None) -> Ticks:
    """Consume ``ticks(interval, count)`` promptly; ``wait_first`` seconds pass between
    making the generator and starting to iterate; ``stop_after`` items, then ``aclose()``."""
    gen = mod.ticks(interval, count)
    is_async_gen = inspect.isasyncgen(gen)
    await asyncio.sleep(wait_first)
    t0 = now()
    seen: list[tuple[Any, float]] = []
    with _Bound() as bound:
        async with bound.timeout():
            async for tick in gen:
                seen.append((tick, round(now() - t0, 6)))
                if stop_after is not None and len(seen) >= stop_after:
                    break
            if stop_after is not None and hasattr(gen, "aclose"):
                await gen.aclose()
    return Ticks(returned=[tick for tick, _ in seen], times=[t for _, t in seen],
                 is_async_gen=is_async_gen, ended_at=round(now() - t0, 6), hung=bound.hung)


# -- take --------------------------------------------------------------------------------

@scenario("virtual")
async def take(mod: Any, source: dict[str, Any], n: int, pull_first: int = 0) -> Taken:
    """``take(<source>, n)``; ``pull_first`` items are read from the source here first (so
    that it has started and its ``finally`` must run when it is closed)."""
    t0 = now()
    src = Source(source, t0)
    gen = src.gen()
    pulled = [await anext(gen) for _ in range(pull_first)]
    yielded_before = len(src.yielded)
    t1 = now()
    returned: Any = None
    with _Bound() as bound:
        async with bound.timeout():
            returned = await mod.take(gen, n)
    return Taken(
        returned=returned, pulled=pulled, hung=bound.hung, took=round(now() - t1, 6),
        read_by_take=len(src.yielded) - yielded_before, source=src.report(),
        # A closed (or finished) async generator has no frame left (typeshed omits ag_frame).
        closed_when_returned=gen.ag_frame is None,  # type: ignore[attr-defined]
        others_running=_other_tasks())


# -- merge -------------------------------------------------------------------------------

def _merge_report(srcs: list[Source]) -> list[SourceReport]:
    return [s.report() for s in srcs]


@scenario("virtual")
async def merge(mod: Any, sources: list[dict[str, Any]]) -> Merged:
    """Consume ``merge(*sources)`` to the end, promptly."""
    t0 = now()
    srcs = [Source(spec, t0) for spec in sources]
    merged = mod.merge(*(s.gen() for s in srcs))
    received: list[tuple[Any, float]] = []
    with _Bound() as bound:
        async with bound.timeout():
            async for item in merged:
                received.append((item, round(now() - t0, 6)))
    if bound.hung:
        await _close_quietly(merged)
    return Merged(returned=[item for item, _ in received], times=[t for _, t in received],
                  ended_at=round(now() - t0, 6), sources=_merge_report(srcs),
                  others_running=_other_tasks(), hung=bound.hung)


@scenario("virtual")
async def merge_close_early(mod: Any, sources: list[dict[str, Any]], n: int,
                            use_break: bool = False) -> ClosedEarly:
    """Read ``n`` items of ``merge(*sources)`` and close it (``aclose()``, or ``break`` out
    of ``async for`` and then ``aclose()``); what was still open or running right then."""
    t0 = now()
    srcs = [Source(spec, t0) for spec in sources]
    merged = mod.merge(*(s.gen() for s in srcs))
    received: list[Any] = []
    at_close: AtClose | None = None
    with _Bound() as bound:
        async with bound.timeout():
            at_close = await _read_then_close(merged, srcs, n, use_break, received)
    # Let anything merge left behind finish, so that the report says what it was
    # (the harness then reports tasks still running).
    for _ in range(3):
        await asyncio.sleep(0)
    return ClosedEarly(returned=received, at_close=at_close, sources=_merge_report(srcs),
                       hung=bound.hung)


async def _read_then_close(merged: Any, srcs: list[Source], n: int, use_break: bool,
                           received: list[Any]) -> AtClose:
    if use_break:
        async for item in merged:
            received.append(item)
            if len(received) >= n:
                break
    else:
        for _ in range(n):
            received.append(await anext(merged))
    closing = now()
    await merged.aclose()
    return AtClose(
        closed=[s.closed is not None for s in srcs],
        cleanup_started=[s.cleanup_started is not None for s in srcs],
        others_running=_other_tasks(), close_took=round(now() - closing, 6))


@scenario("virtual")
async def merge_error(mod: Any, sources: list[dict[str, Any]]) -> MergeError:
    """Consume ``merge(*sources)`` where a source raises; what reached the consumer, when,
    and what was still open or running when the error arrived."""
    t0 = now()
    srcs = [Source(spec, t0) for spec in sources]
    merged = mod.merge(*(s.gen() for s in srcs))
    received: list[Any] = []
    caught: BaseException | None = None
    at_raise: AtRaise | None = None
    with _Bound() as bound:
        async with bound.timeout():
            try:
                async for item in merged:
                    received.append(item)
            except Exception as exc:
                _reraise_unimplemented(exc)
                caught = exc
                at_raise = AtRaise(
                    at=round(now() - t0, 6),
                    closed=[s.closed is not None or s.raised is not None for s in srcs],
                    others_running=_other_tasks())
    broken = [s.raised for s in srcs if s.raised is not None]
    await _close_quietly(merged)
    return MergeError(
        returned=received, raised=caught, at_raise=at_raise, hung=bound.hung,
        same_exception=caught is not None and any(caught is b for b in broken),
        sources=_merge_report(srcs))


# -- cancelled by the caller (the convention) ----------------------------------------------

class AtEnd(Result):
    """The moment the consumer's task ended."""

    closed: list[bool]  # per source: its `finally` had finished
    others_running: list[str]  # tasks still running (the scenario's own left out)


class MergeCancelled(Result):
    caller: CallerEnd[AtEnd]  # how the consumer's task, cancelled once, ended
    received: list[Any]  # the items it had received
    sources: list[SourceReport]  # at the end of the scenario


@scenario("virtual")
async def merge_cancelled(mod: Any, sources: list[dict[str, Any]], cancel_at: float,
                          grace: float = 60.0) -> MergeCancelled:
    """A task consumes ``merge(*sources)`` with ``async for``; its caller cancels it at
    ``cancel_at`` (while it waits for an item). What was still open or running when the
    consumer's task ended."""
    t0 = now()
    srcs = [Source(spec, t0) for spec in sources]
    merged = mod.merge(*(s.gen() for s in srcs))
    received: list[Any] = []

    async def consume() -> None:
        async for item in merged:
            received.append(item)

    me = asyncio.current_task()

    def at_end() -> AtEnd:  # a done-callback: no current task; leave ours out
        running = [getattr(t.get_coro(), "__qualname__", None) or repr(t.get_coro())
                   for t in asyncio.all_tasks() if t is not me and not t.done()]
        return AtEnd(closed=[s.closed is not None for s in srcs], others_running=running)

    caller = await cancelled_by_caller(consume, cancel_at, grace, on_end=at_end)
    if not caller.finished or not caller.cancelled:
        await _close_quietly(merged)
    return MergeCancelled(caller=caller, received=received, sources=_merge_report(srcs))
