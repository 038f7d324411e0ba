"""Scenarios for ``thread_bridge``: real threads on a real-clock loop.

``result_from_thread``: ``start(callback)`` hands the callback to a real thread of ours,
which calls it after a short real delay. Halfway through, that thread pings the loop
(``call_soon_threadsafe``) and waits for the answer: a loop that answers was free while the
student's coroutine waited. The loop's iterations are counted between ``start`` and the
callback: an honest wait sleeps in ``select()`` until woken, a polling one wakes up again and
again. A value handed over without waking the loop arrives only once we wake it: at once, when
the callback is seen to schedule work on the loop without waking it (a plain ``call_soon``
from the thread, which setting an asyncio future makes), else by a timer of ours ("the
nudge") NUDGE_AFTER after the value was due.

``call_async_from_thread``: the student's sync function runs in a thread of ours while the
scenario's own loop runs in the main thread; ``fn`` is made here and records the loop and
thread it ran on, whether it saw ``CancelledError``, and whether it finished.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

from grader._child.kit import Result, scenario

from ._common import RAISABLE

PING_WAIT = 1.0  # real seconds the delivering thread waits for the loop to answer its ping
NUDGE_AFTER = 1.5  # real seconds after the value was due before our timer wakes the loop
HANG_AFTER = 0.5  # real seconds after the nudge before a call that has not returned hangs
CANCEL_WAIT = 1.0  # real seconds we wait for fn to see CancelledError after the timeout
GIVE_UP_AFTER = 1.5  # real seconds past `timeout` before we stop waiting for the caller thread


class _IterationCounter:
    """Counts the loop's iterations (each one ends in a ``select()``), by wrapping its step."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.count = loop, 0
        self._original = loop._run_once  # type: ignore[attr-defined]

        def counted() -> None:
            self.count += 1
            self._original()

        loop._run_once = counted  # type: ignore[attr-defined]

    def remove(self) -> None:
        self.loop.__dict__.pop("_run_once", None)


class _HandOvers:
    """What other threads do to the loop, counted per thread: plain ``call_soon`` calls
    (an asyncio future set from a thread makes one), which do not wake the loop, and
    wake-ups (``call_soon_threadsafe`` and what builds on it write to the loop's self-pipe),
    by wrapping the two on this loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.unwoken, self.wakes = loop, Counter[int](), Counter[int]()
        owner = threading.get_ident()
        call_soon, write_to_self = loop.call_soon, loop._write_to_self  # type: ignore[attr-defined]

        def counted_call_soon(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != owner:
                self.unwoken[threading.get_ident()] += 1
            return call_soon(*args, **kwargs)

        def counted_write_to_self() -> None:
            if threading.get_ident() != owner:
                self.wakes[threading.get_ident()] += 1
            write_to_self()

        loop.call_soon = counted_call_soon  # type: ignore[method-assign, assignment]
        loop._write_to_self = counted_write_to_self  # type: ignore[attr-defined]

    def remove(self) -> None:
        for name in ("call_soon", "_write_to_self"):
            self.loop.__dict__.pop(name, None)


class Delivery(Result):
    """One ``result_from_thread`` call: the thread's side and the coroutine's."""

    starts: int  # calls of start(callback)
    iterations_waiting: int | None  # loop iterations from start() to the callback
    ping_answered: bool | None  # the loop ran our ping within PING_WAIT (None: no ping sent)
    callback_error: Any  # what the student's callback raised in our thread, if anything
    delivered: bool  # the thread called the callback
    hung: bool  # not returned NUDGE_AFTER + HANG_AFTER real seconds after the value was due
    nudged: bool  # it returned only once we had woken the loop (see _HandOvers)
    latency: float | None  # real seconds from the callback to the return
    returned: Any
    same_object: bool  # it returned the very object the thread passed to the callback


class FromThread(Result):
    calls: list[Delivery]  # one per value, in order
    returned: list[Any]  # what each call returned


class _Delivery:
    """One ``start`` function and the thread it starts, and how the call that got it ended."""

    def __init__(self, loop: asyncio.AbstractEventLoop, counter: _IterationCounter,
                 handovers: _HandOvers, value: Any, delay: float) -> None:
        self.loop, self.counter, self.handovers, self.delay = loop, counter, handovers, delay
        self.value = {"value": value}  # a fresh object: identity shows it was passed through
        self.starts = 0
        self.threads: list[threading.Thread] = []
        self.iterations_at_start = 0
        self.iterations_waiting: int | None = None
        self.ping_answered: bool | None = None
        self.called_at: float | None = None
        self.callback_error: BaseException | None = None
        self.callback_in_loop_thread = False
        self.hung = self.nudged = self.same_object = False
        self.woken_by_us = False  # the callback left the loop asleep: we woke it at once
        self.latency: float | None = None
        self.returned: Any = None

    def start(self, callback: Any) -> None:
        self.starts += 1
        self.iterations_at_start = self.counter.count
        thread = threading.Thread(target=self._deliver, args=(callback,), daemon=True,
                                  name="aiograde-deliverer")
        self.threads.append(thread)
        thread.start()

    def _deliver(self, callback: Any) -> None:
        if self.delay > 0:
            time.sleep(self.delay / 2)
            answered = threading.Event()
            try:
                self.loop.call_soon_threadsafe(answered.set)
                self.ping_answered = answered.wait(PING_WAIT)
            except RuntimeError:  # the loop is closed: the scenario is over
                return
            time.sleep(self.delay / 2)
        self.iterations_waiting = self.counter.count - self.iterations_at_start
        me, handovers = threading.get_ident(), self.handovers
        unwoken, wakes = handovers.unwoken[me], handovers.wakes[me]
        self.called_at = time.perf_counter()
        try:
            callback(self.value)
        except BaseException as exc:  # the student's callback, in our thread
            self.callback_error = exc
        if handovers.unwoken[me] > unwoken and handovers.wakes[me] == wakes:
            # It scheduled work on the loop without waking it: nothing would run it before
            # the nudge (or some other event). Wake it now instead of waiting for the timer:
            # what arrives then still arrives only because of us.
            self.woken_by_us = True
            try:
                self.loop.call_soon_threadsafe(lambda: None)
            except RuntimeError:  # the loop is closed: the scenario is over
                pass

    async def join(self) -> None:
        for thread in self.threads:
            await asyncio.to_thread(thread.join, PING_WAIT + self.delay + 1.0)

    def report(self) -> Delivery:
        return Delivery(
            starts=self.starts, iterations_waiting=self.iterations_waiting,
            ping_answered=self.ping_answered, callback_error=self.callback_error,
            delivered=self.called_at is not None, hung=self.hung, nudged=self.nudged,
            latency=self.latency, returned=self.returned, same_object=self.same_object)


@scenario("real")
async def result_from_thread(mod: Any, values: list[Any], delays: list[float]) -> FromThread:
    """``result_from_thread`` called once per value, all at once; value i is delivered by a
    thread after ``delays[i]`` real seconds."""
    loop = asyncio.get_running_loop()
    counter, handovers = _IterationCounter(loop), _HandOvers(loop)
    deliveries = [_Delivery(loop, counter, handovers, v, d)
                  for v, d in zip(values, delays, strict=True)]

    async def one(delivery: _Delivery) -> None:
        # The nudge wakes the loop, and a value handed over without waking it (set from the
        # thread, or scheduled with a plain call_soon) arrives then: late, not never.
        due = loop.time() + delivery.delay + NUDGE_AFTER
        nudge = loop.call_at(due, lambda: None)
        try:
            async with asyncio.timeout_at(due + HANG_AFTER) as hang:
                returned = await mod.result_from_thread(delivery.start)
        except TimeoutError:
            if not hang.expired():
                raise
            delivery.hung = True
            return
        finally:
            nudge.cancel()
        arrived = time.perf_counter()
        delivery.nudged = loop.time() >= due or delivery.woken_by_us
        if delivery.called_at is not None:
            delivery.latency = round(arrived - delivery.called_at, 3)
        delivery.returned = returned
        delivery.same_object = returned is delivery.value

    try:
        await asyncio.gather(*(one(d) for d in deliveries))
    finally:
        for delivery in deliveries:
            await delivery.join()
        counter.remove()
        handovers.remove()
    calls = [delivery.report() for delivery in deliveries]
    return FromThread(calls=calls, returned=[c.returned for c in calls])


class FnRuns(Result):
    """What the ``fn`` made here saw of its runs."""

    runs: int = 0  # times it ran
    on_the_loop: list[bool] = []  # for each run: on the loop it was meant for
    in_loop_thread: list[bool] = []  # for each run: in that loop's thread
    cancelled: bool = False  # it saw CancelledError
    finished: bool = False  # it ended (returned, raised or was cancelled)


class _Outcome(Result):
    """How the student's call ended, in the caller thread."""

    returned: Any = None
    raised: Any = None
    took: float = 0.0  # real seconds


class Called(Result):
    blocked: bool  # not returned GIVE_UP_AFTER real seconds after its timeout
    returned: Any
    raised: Any  # what it raised, if anything
    took: float | None  # real seconds until it returned or raised (None: blocked)
    fn: FnRuns


@scenario("real")
async def call_async_from_thread(mod: Any, kind: str, args: list[Any], timeout: float,
                                 hold: float = 2.0) -> Called:
    """``call_async_from_thread(loop, fn, *args, timeout=timeout)`` from a thread of ours.

    ``kind`` picks ``fn``: "add" returns ``a + b`` after 10 ms; "raise" raises
    ``RAISABLE[args[0]](args[1])``; "slow" waits ``hold`` seconds (if it runs on the right
    loop) and records whether it was cancelled.
    """
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    seen = FnRuns()
    cancelled = asyncio.Event()

    def note() -> bool:
        seen.runs += 1
        ours = asyncio.get_running_loop() is loop
        seen.on_the_loop.append(ours)
        seen.in_loop_thread.append(threading.get_ident() == loop_thread)
        return ours

    async def add(a: Any, b: Any) -> Any:
        note()
        await asyncio.sleep(0.01)
        return a + b

    async def fails(kind: str, message: str) -> None:
        note()
        await asyncio.sleep(0)
        raise RAISABLE[kind](message)

    async def slow() -> str:
        if not note():
            return "fn ran on another loop"  # it could not be cancelled from ours: end at once
        try:
            await asyncio.sleep(hold)
        except asyncio.CancelledError:
            seen.cancelled = True
            cancelled.set()
            raise
        finally:
            seen.finished = True
        return "fn was not cancelled"

    fn = {"add": add, "raise": fails, "slow": slow}[kind]
    answer: asyncio.Future[_Outcome] = loop.create_future()

    def settle(outcome: _Outcome) -> None:
        if not answer.done():
            answer.set_result(outcome)

    def caller() -> None:
        t0 = time.perf_counter()
        outcome = _Outcome()
        try:
            outcome.returned = mod.call_async_from_thread(loop, fn, *args, timeout=timeout)
        except BaseException as exc:  # handed back to the loop as data
            outcome.raised = exc
        outcome.took = round(time.perf_counter() - t0, 3)
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:  # the loop is closed: the scenario gave up on us
            pass

    thread = threading.Thread(target=caller, name="aiograde-caller", daemon=True)
    thread.start()
    done, _ = await asyncio.wait({answer}, timeout=timeout + GIVE_UP_AFTER)
    if not done:
        return Called(blocked=True, returned=None, raised=None, took=None, fn=seen)
    outcome = answer.result()
    await asyncio.to_thread(thread.join, 1.0)
    if isinstance(outcome.raised, NotImplementedError):
        raise outcome.raised
    if kind == "slow" and seen.runs and seen.on_the_loop[0]:
        try:
            async with asyncio.timeout(CANCEL_WAIT):
                await cancelled.wait()
        except TimeoutError:
            pass
    return Called(blocked=False, returned=outcome.returned, raised=outcome.raised,
                  took=outcome.took, fn=seen)
