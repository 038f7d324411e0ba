"""Public checks for the `tasks` exercise: run them with `pytest checks/`."""

import asyncio

import pytest
from _target import exercise

mod = exercise("tasks")


async def sleeper(seconds, result=None, events=None, name="work"):
    """Sleeps, then returns `result`; records in `events` when it is cancelled and cleaned up."""
    try:
        await asyncio.sleep(seconds)
        return result
    except asyncio.CancelledError:
        if events is not None:
            events.append(f"{name} cancelled")
        raise
    finally:
        if events is not None:
            events.append(f"{name} cleaned up")


async def failer(seconds, exc):
    await asyncio.sleep(seconds)
    raise exc


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancel_after_cancels_slow_work_and_waits_for_its_cleanup():
    loop = asyncio.get_running_loop()
    events = []
    t0 = loop.time()
    assert await mod.cancel_after(sleeper(10, events=events), 1.0) is True, (
        "work still running after `delay` must be cancelled, and cancel_after() returns True"
    )
    assert loop.time() - t0 == pytest.approx(1.0), "cancel_after() must give up after `delay`"
    assert events == ["work cancelled", "work cleaned up"], (
        "cancel_after() must wait until the cancelled work has finished its cleanup"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancel_after_returns_false_as_soon_as_the_work_is_done():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await mod.cancel_after(sleeper(0.5), 3.0) is False, "work done in time gives False"
    assert loop.time() - t0 == pytest.approx(0.5), (
        "cancel_after() must return when the work finishes, not wait out `delay`"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_heartbeat_beats_on_time_and_ends_cancelled():
    log = []
    task = asyncio.create_task(mod.heartbeat(1.0, log))
    try:
        await asyncio.sleep(3.5)
        if task.done():
            await task  # heartbeat must run until cancelled: show why it ended early
        assert log == ["beat", "beat", "beat"], "after 3.5 intervals there must be exactly 3 beats"
    finally:
        task.cancel()
        await asyncio.wait({task})
    assert log[-1] == "stopped", 'a cancelled heartbeat must append "stopped"'
    assert task.cancelled(), "heartbeat must let the cancellation propagate (re-raise it)"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_first_completed_skips_failures_and_cancels_the_rest():
    loop = asyncio.get_running_loop()
    events = []
    t0 = loop.time()
    result = await mod.first_completed(
        [
            lambda: sleeper(5, "slow", events, name="slow"),
            lambda: failer(0.5, ValueError("early failure")),
            lambda: sleeper(1, "fast"),
        ]
    )
    assert result == "fast", "the first *successful* result wins; failures are ignored"
    assert loop.time() - t0 == pytest.approx(1.0), "it must return as soon as one succeeds"
    assert events == ["slow cancelled", "slow cleaned up"], (
        "the other tasks must be cancelled and finished before first_completed() returns"
    )


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_first_completed_raises_the_last_failure_when_all_fail():
    # The KeyError fails at 2 s, after the ValueError (1 s): it is the last failure.
    with pytest.raises(KeyError, match="last"):
        await mod.first_completed(
            [
                lambda: failer(2, KeyError("last")),
                lambda: failer(1, ValueError("first")),
            ]
        )


@pytest.mark.asyncio
async def test_first_completed_rejects_an_empty_list():
    with pytest.raises(ValueError):  # an empty race has no winner: reject it
        await mod.first_completed([])
