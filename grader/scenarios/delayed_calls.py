"""Scenarios for ``delayed_calls``: plain functions called on a running loop, then loop time
let pass. Every append to a log and every callback is noted with its loop time (relative
to the call), so the parent can read the schedule off the virtual clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any, Self

from grader._child.kit import Result, scenario


class Stamp(Result):
    at: float  # loop seconds since the call
    item: Any  # what was added to the log


class Call(Result):
    at: float  # loop seconds since the call
    args: list[Any]  # the callback's arguments


class Spawn(Result):
    """Tasks and threads that appeared during synchronous calls."""

    tasks: int
    threads: int


class Greeting(Result):
    timer_handle: bool  # schedule_greeting returned an asyncio.TimerHandle
    handle_type: str  # the type of what it returned
    log: list[Any]
    times: list[Stamp]  # every item the log received
    cancelled_at: float | None  # when the scenario cancelled the handle
    spawned: Spawn
    control: list[Stamp]  # what the log of a greeting nobody cancelled received


class Sequence(Result):
    is_list: bool  # schedule_sequence returned a list
    count: int | None  # of so many items (None: not a list)
    timer_handles: bool  # all of them asyncio.TimerHandles
    returned_type: str
    log: list[Any]
    times: list[Stamp]
    cancelled: list[int]  # the indexes of the handles the scenario cancelled
    spawned: Spawn


class Rejection(Result):
    """schedule_sequence(['a', 'b'], interval, log) with a bad interval."""

    interval: float
    raised: Any  # what it raised (None: it returned)
    returned: int | None  # how many handles it returned (None: not a list)
    log: list[Any]  # what the log held afterwards


class Rejections(Result):
    outcomes: list[Rejection]


class Probe(Result):
    at: float  # loop seconds since the Debouncer was made
    pending: bool | None  # deb.pending, when it was a bool
    other_type: str = ""  # its type, when it was not


class Debounced(Result):
    calls: list[Call]
    pending: list[Probe]  # at the start, after each step, and at the end
    spawned: Spawn


class Reading(Result):
    """deb.pending, read at a moment described in words."""

    when: str  # e.g. "once the callback had returned"
    after_cancel: bool  # read right after cancel()
    pending: bool | None  # deb.pending, when it was a bool
    other_type: str = ""  # its type, when it was not


class Retriggered(Result):
    calls: list[Call]
    pending: list[Reading]


class LoopTimers(Result):
    spawned: dict[str, Spawn]  # by the call that started them
    greeting: list[Stamp]
    sequence: list[Stamp]
    calls: list[Call]  # of the debouncer's callback


class TimedLog(list[Any]):
    """The ``log`` handed to the student: a list that notes when each item arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop, t0: float) -> None:
        super().__init__()
        self._loop, self._t0 = loop, t0
        self.times: list[Stamp] = []

    def _note(self, items: list[Any]) -> None:
        at = round(self._loop.time() - self._t0, 6)
        self.times.extend(Stamp(at=at, item=item) for item in items)

    def append(self, item: Any) -> None:
        self._note([item])
        super().append(item)

    def extend(self, items: Any) -> None:
        items = list(items)
        self._note(items)
        super().extend(items)

    def insert(self, index: Any, item: Any) -> None:
        self._note([item])
        super().insert(index, item)

    # `log += items` must note them too; mypy cannot match this with list's overloaded __add__.
    def __iadd__(self, items: Iterable[Any]) -> Self:  # type: ignore[misc]
        self.extend(items)
        return self


class Spawned:
    """Tasks and threads that appear during a synchronous call."""

    def __enter__(self) -> Spawned:
        self.tasks = set(asyncio.all_tasks())
        self.threads = {t.ident for t in threading.enumerate()}
        return self

    def __exit__(self, *exc: Any) -> None:
        self.new_tasks = len(set(asyncio.all_tasks()) - self.tasks)
        self.new_threads = len({t.ident for t in threading.enumerate()} - self.threads)

    def report(self) -> Spawn:
        return Spawn(tasks=self.new_tasks, threads=self.new_threads)


def _clock() -> tuple[asyncio.AbstractEventLoop, float]:
    loop = asyncio.get_running_loop()
    return loop, loop.time()


async def _sleep_until(loop: asyncio.AbstractEventLoop, t0: float, at: float) -> None:
    wait = t0 + at - loop.time()
    if wait > 0:
        await asyncio.sleep(wait)


def _is_timer(handle: Any) -> bool:
    return isinstance(handle, asyncio.TimerHandle)


def _cancel_all(handles: Any) -> None:
    """Handles the contract gives to the caller are the caller's to cancel once checked."""
    items = handles if isinstance(handles, list) else [handles]
    for handle in items:
        if isinstance(handle, asyncio.Handle):
            handle.cancel()


@scenario("virtual")
async def schedule_greeting(mod: Any, delay: float, until: float, cancel_at: float | None = None,
                            control: float | None = None) -> Greeting:
    """``control``: a second greeting, into its own log, that nobody cancels."""
    loop, t0 = _clock()
    log, control_log = TimedLog(loop, t0), TimedLog(loop, t0)
    with Spawned() as spawned:
        handle = mod.schedule_greeting(delay, log)
    control_handle = mod.schedule_greeting(control, control_log) if control is not None else None
    is_timer = _is_timer(handle)
    cancelled = None
    if cancel_at is not None and is_timer:
        await _sleep_until(loop, t0, cancel_at)
        handle.cancel()
        cancelled = round(loop.time() - t0, 6)
    await _sleep_until(loop, t0, until)
    if is_timer:
        _cancel_all(handle)
    if _is_timer(control_handle):
        _cancel_all(control_handle)
    return Greeting(timer_handle=is_timer, handle_type=type(handle).__name__, log=list(log),
                    times=log.times, cancelled_at=cancelled, spawned=spawned.report(),
                    control=control_log.times)


@scenario("virtual")
async def schedule_sequence(mod: Any, messages: list[str], interval: float, until: float,
                            cancel: list[int] | None = None) -> Sequence:
    loop, t0 = _clock()
    log = TimedLog(loop, t0)
    with Spawned() as spawned:
        handles = mod.schedule_sequence(messages, interval, log)
    is_list = type(handles) is list
    timers = is_list and all(_is_timer(h) for h in handles)
    cancelled = []
    if timers:
        for i in cancel or []:
            if i < len(handles):
                handles[i].cancel()
                cancelled.append(i)
    await _sleep_until(loop, t0, until)
    if timers:
        _cancel_all(handles)
    return Sequence(is_list=is_list, count=len(handles) if is_list else None,
                    timer_handles=timers, returned_type=type(handles).__name__, log=list(log),
                    times=log.times, cancelled=cancelled, spawned=spawned.report())


@scenario("virtual")
async def sequence_bad_interval(mod: Any, intervals: list[float]) -> Rejections:
    loop, t0 = _clock()
    outcomes = []
    for interval in intervals:
        log = TimedLog(loop, t0)
        try:
            handles = mod.schedule_sequence(["a", "b"], interval, log)
        except NotImplementedError:
            raise
        except Exception as exc:
            outcomes.append(Rejection(interval=interval, raised=exc, returned=None,
                                      log=list(log)))
            continue
        _cancel_all(handles)  # returned to the caller: ours to cancel
        outcomes.append(Rejection(interval=interval, raised=None,
                                  returned=len(handles) if type(handles) is list else None,
                                  log=list(log)))
    return Rejections(outcomes=outcomes)


@scenario("virtual")
async def debouncer(mod: Any, delay: float, steps: list[list[Any]], until: float) -> Debounced:
    """Steps, in time order: ["trigger", at, args], ["cancel", at], ["pending", at]."""
    loop, t0 = _clock()
    calls: list[Call] = []

    def callback(*args: Any) -> None:
        calls.append(Call(at=round(loop.time() - t0, 6), args=list(args)))

    with Spawned() as spawned:
        deb = mod.Debouncer(delay, callback)
    seen: list[Probe] = []
    tasks, threads = spawned.new_tasks, spawned.new_threads

    def probe(at: float) -> None:
        value = deb.pending
        seen.append(Probe(at=at, pending=value) if type(value) is bool else
                    Probe(at=at, pending=None, other_type=type(value).__name__))

    probe(0.0)
    for step in steps:
        await _sleep_until(loop, t0, step[1])
        with Spawned() as spawned:
            if step[0] == "trigger":
                deb.trigger(*step[2])
            elif step[0] == "cancel":
                deb.cancel()
        tasks, threads = tasks + spawned.new_tasks, threads + spawned.new_threads
        probe(step[1])
    await _sleep_until(loop, t0, until)
    probe(until)
    return Debounced(calls=calls, pending=seen, spawned=Spawn(tasks=tasks, threads=threads))


@scenario("virtual")
async def uses_loop_timers(mod: Any) -> LoopTimers:
    """One use of each API, noting any task or thread each call starts."""
    loop, t0 = _clock()
    spawned: dict[str, Spawn] = {}
    greeting, sequence = TimedLog(loop, t0), TimedLog(loop, t0)
    calls: list[Call] = []

    with Spawned() as s:
        mod.schedule_greeting(1.0, greeting)
    spawned["schedule_greeting(1.0, log)"] = s.report()
    with Spawned() as s:
        mod.schedule_sequence(["a", "b"], 1.0, sequence)
    spawned["schedule_sequence(['a', 'b'], 1.0, log)"] = s.report()
    with Spawned() as s:
        deb = mod.Debouncer(1.0, lambda *args: calls.append(
            Call(at=round(loop.time() - t0, 6), args=list(args))))
        deb.trigger(1)
    spawned["Debouncer(1.0, callback).trigger(1)"] = s.report()
    with Spawned() as s:
        deb.trigger(2)
    spawned["a second trigger(2)"] = s.report()
    await asyncio.sleep(5.0)
    return LoopTimers(spawned=spawned, greeting=greeting.times, sequence=sequence.times,
                      calls=calls)


@scenario("virtual")
async def debouncer_retrigger(mod: Any, delay: float, cancel_at: float | None,
                              until: float) -> Retriggered:
    """``Debouncer(delay, callback)`` triggered with ("first",) at 0 s; its callback, on its
    first call, triggers it again with ("again",) and reads ``pending`` right after. Then
    ``cancel()`` at ``cancel_at`` (if given); ``pending`` is read after the callback
    returned and after the cancel."""
    loop, t0 = _clock()
    calls: list[Call] = []
    seen: list[Reading] = []
    deb: Any = None

    def probe(when: str, after_cancel: bool = False) -> None:
        value = deb.pending
        seen.append(Reading(when=when, after_cancel=after_cancel, pending=value)
                    if type(value) is bool else
                    Reading(when=when, after_cancel=after_cancel, pending=None,
                            other_type=type(value).__name__))

    def callback(*args: Any) -> None:
        calls.append(Call(at=round(loop.time() - t0, 6), args=list(args)))
        if len(calls) == 1:
            deb.trigger("again")
            probe("inside the callback, right after trigger('again')")
            loop.call_soon(probe, "once the callback had returned")

    deb = mod.Debouncer(delay, callback)
    deb.trigger("first")
    if cancel_at is not None:
        await _sleep_until(loop, t0, cancel_at)
        deb.cancel()
        probe(f"after cancel() at {cancel_at:g} s", after_cancel=True)
    await _sleep_until(loop, t0, until)
    return Retriggered(calls=calls, pending=seen)
