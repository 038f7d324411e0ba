"""Scenarios for ``thread_bridge``: real threads on a real-clock loop.

``result_from_thread``: ``start(callback)`` hands the callback to a real thread of ours,
which calls it after a short real delay. Halfway through, that thread pings the loop
(``call_soon_threadsafe``) and waits for the answer: a loop that answers was free while the
student's coroutine waited. The loop's iterations are counted between ``start`` and the
callback: an honest wait sleeps in ``select()`` until woken, a polling one wakes up again and
again. A timer of ours ("the nudge") wakes the loop one second after the value was due: a
value that only arrives then was handed over without waking the loop.

``call_async_from_thread``: the student's sync function runs in a thread of ours while the
scenario's own loop runs in the main thread; ``fn`` is made here and records the loop and
thread it ran on, whether it saw ``CancelledError``, and whether it finished.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from grader._child.kit import scenario

from ._common import RAISABLE

PING_WAIT = 1.0  # real seconds the delivering thread waits for the loop to answer its ping
NUDGE_AFTER = 1.5  # real seconds after the value was due before our timer wakes the loop
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


class _Delivery:
    """One ``start`` function and the thread it starts."""

    def __init__(self, loop: asyncio.AbstractEventLoop, counter: _IterationCounter,
                 value: Any, delay: float) -> None:
        self.loop, self.counter, self.delay = loop, counter, delay
        self.value = {"value": value}  # a fresh object: identity shows it was passed through
        self.starts = 0
        self.threads: list[threading.Thread] = []
        self.iterations_at_start = 0
        self.iterations_waiting: int | None = None
        self.ping_answered: bool | None = None
        self.called_at: float | None = None
        self.callback_error: BaseException | None = None
        self.callback_in_loop_thread = False

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
        self.called_at = time.perf_counter()
        try:
            callback(self.value)
        except BaseException as exc:  # the student's callback, in our thread
            self.callback_error = exc

    async def join(self) -> None:
        for thread in self.threads:
            await asyncio.to_thread(thread.join, PING_WAIT + self.delay + 1.0)

    def report(self) -> dict[str, Any]:
        return {"starts": self.starts, "iterations_waiting": self.iterations_waiting,
                "ping_answered": self.ping_answered, "callback_error": self.callback_error,
                "delivered": self.called_at is not None}


@scenario("real")
async def result_from_thread(mod: Any, values: list[Any], delays: list[float]) -> dict[str, Any]:
    """``result_from_thread`` called once per value, all at once; value i is delivered by a
    thread after ``delays[i]`` real seconds."""
    loop = asyncio.get_running_loop()
    counter = _IterationCounter(loop)
    deliveries = [_Delivery(loop, counter, v, d) for v, d in zip(values, delays, strict=True)]

    async def one(delivery: _Delivery) -> dict[str, Any]:
        out: dict[str, Any] = {"hung": False, "nudged": False, "latency": None}
        try:
            async with asyncio.timeout(delivery.delay + NUDGE_AFTER) as nudge:
                returned = await mod.result_from_thread(delivery.start)
        except TimeoutError:
            if not nudge.expired():
                raise
            out["hung"] = True
            return out
        arrived = time.perf_counter()
        out["nudged"] = nudge.when() is not None and loop.time() >= nudge.when()
        if delivery.called_at is not None:
            out["latency"] = round(arrived - delivery.called_at, 3)
        out["returned"] = returned
        out["same_object"] = returned is delivery.value
        return out

    try:
        calls = await asyncio.gather(*(one(d) for d in deliveries))
    finally:
        for delivery in deliveries:
            await delivery.join()
        counter.remove()
    for call, delivery in zip(calls, deliveries, strict=True):
        call.update(delivery.report())
    return {"calls": calls, "returned": [c.get("returned") for c in calls]}


@scenario("real")
async def call_async_from_thread(mod: Any, kind: str, args: list[Any], timeout: float,
                                 hold: float = 2.0) -> dict[str, Any]:
    """``call_async_from_thread(loop, fn, *args, timeout=timeout)`` from a thread of ours.

    ``kind`` picks ``fn``: "add" returns ``a + b`` after 10 ms; "raise" raises
    ``RAISABLE[args[0]](args[1])``; "slow" waits ``hold`` seconds (if it runs on the right
    loop) and records whether it was cancelled.
    """
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    seen: dict[str, Any] = {"runs": 0, "on_the_loop": [], "in_loop_thread": [],
                            "cancelled": False, "finished": False}
    cancelled = asyncio.Event()

    def note() -> bool:
        seen["runs"] += 1
        ours = asyncio.get_running_loop() is loop
        seen["on_the_loop"].append(ours)
        seen["in_loop_thread"].append(threading.get_ident() == loop_thread)
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
            seen["cancelled"] = True
            cancelled.set()
            raise
        finally:
            seen["finished"] = True
        return "fn was not cancelled"

    fn = {"add": add, "raise": fails, "slow": slow}[kind]
    answer: asyncio.Future[dict[str, Any]] = loop.create_future()

    def settle(result: dict[str, Any]) -> None:
        if not answer.done():
            answer.set_result(result)

    def caller() -> None:
        t0 = time.perf_counter()
        try:
            result: dict[str, Any] = {"returned": mod.call_async_from_thread(loop, fn, *args,
                                                                              timeout=timeout)}
        except BaseException as exc:  # handed back to the loop as data
            result = {"raised": exc}
        result["took"] = round(time.perf_counter() - t0, 3)
        try:
            loop.call_soon_threadsafe(settle, result)
        except RuntimeError:  # the loop is closed: the scenario gave up on us
            pass

    thread = threading.Thread(target=caller, name="aiograde-caller", daemon=True)
    thread.start()
    done, _ = await asyncio.wait({answer}, timeout=timeout + GIVE_UP_AFTER)
    if not done:
        return {"blocked": True, "timeout": timeout, **seen}
    result = answer.result()
    await asyncio.to_thread(thread.join, 1.0)
    if isinstance(result.get("raised"), NotImplementedError):
        raise result["raised"]
    if kind == "slow" and seen["runs"] and seen["on_the_loop"][0]:
        try:
            async with asyncio.timeout(CANCEL_WAIT):
                await cancelled.wait()
        except TimeoutError:
            pass
    return {"blocked": False, "raised": None, **result, **seen}
