"""Public checks for the `futures` exercise: run them with `pytest checks/`."""

import asyncio

import pytest
from _target import exercise

mod = exercise("futures")


@pytest.mark.asyncio
async def test_resolved_future_is_already_done():
    fut = mod.resolved(42)
    assert isinstance(fut, asyncio.Future), "resolved() must return an asyncio.Future"
    assert fut.done(), "the future returned by resolved() must already be done"
    assert fut.result() == 42, "the future must hold the value it was given"
    assert fut.get_loop() is asyncio.get_running_loop(), "the future must be the running loop's"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_resolve_later_sets_the_result_after_the_delay():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    t0 = loop.time()
    await mod.resolve_later(fut, 1.0, "ready")
    assert loop.time() - t0 == pytest.approx(1.0), (
        "resolve_later() must wait `delay` seconds on the loop's clock "
        "(with asyncio.sleep: time.sleep blocks the loop and does not count)"
    )
    assert fut.done(), "the future must be resolved when resolve_later() returns"
    assert fut.result() == "ready", "the future must get the value given to resolve_later()"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_resolve_later_leaves_a_done_future_alone():
    loop = asyncio.get_running_loop()
    cancelled = loop.create_future()
    cancelled.cancel()
    resolved_elsewhere = loop.create_future()
    resolved_elsewhere.set_result("first")

    # Neither call may raise (set_result() on a done future raises InvalidStateError).
    await mod.resolve_later(cancelled, 0.5, "late")
    await mod.resolve_later(resolved_elsewhere, 0.5, "late")

    assert cancelled.cancelled(), "a cancelled future must stay cancelled"
    assert resolved_elsewhere.result() == "first", "a resolved future must keep its first result"


@pytest.mark.asyncio
async def test_from_callback_first_success_wins():
    callbacks = []
    fut = mod.from_callback(lambda on_success, on_error: callbacks.append((on_success, on_error)))
    assert len(callbacks) == 1, "from_callback() must call start() exactly once"
    on_success, on_error = callbacks[0]
    assert not fut.done(), "the future must stay pending until a callback runs"

    on_success("first")
    on_success("second")  # later calls are ignored, without error
    on_error(ValueError("too late"))
    assert await fut == "first", "the first callback decides the outcome"


@pytest.mark.asyncio
async def test_from_callback_error_becomes_the_exception():
    def start(on_success, on_error):
        # A callback API may answer straight away, before start() returns.
        on_error(ValueError("boom"))

    fut = mod.from_callback(start)
    with pytest.raises(ValueError, match="boom"):
        await fut  # on_error(exc) must make the future raise exc
