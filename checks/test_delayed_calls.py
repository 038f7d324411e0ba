"""Public checks for lesson 3, `delayed_calls`. Run: pytest checks/test_delayed_calls.py

Timing runs on a virtual clock (looptime): sleeps take no real time, and the loop's
clock advances exactly as far as the code makes it wait.
"""

import asyncio

import pytest
from _target import exercise

mod = exercise("delayed_calls")


def other_tasks():
    return asyncio.all_tasks() - {asyncio.current_task()}


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_greeting_arrives_after_delay():
    log = []
    handle = mod.schedule_greeting(2.0, log)
    assert isinstance(handle, asyncio.TimerHandle), (
        f"schedule_greeting must return the loop's TimerHandle, got {handle!r}"
    )
    assert not other_tasks(), "use loop.call_later / call_at: no task is needed for a delayed call"
    await asyncio.sleep(1.9)
    assert log == [], f"after 1.9 s the log should still be empty, got {log}"
    await asyncio.sleep(0.2)
    assert log == ["hello"], f"after 2.1 s the log should be ['hello'], got {log}"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_cancelled_greeting_never_arrives():
    log = []
    handle = mod.schedule_greeting(1.0, log)
    await asyncio.sleep(0.5)
    handle.cancel()
    await asyncio.sleep(2.0)
    assert log == [], f"the greeting was cancelled before its time, yet the log is {log}"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_sequence_is_spaced_by_interval():
    log = []
    handles = mod.schedule_sequence(["a", "b", "c"], 1.0, log)
    assert len(handles) == 3, "expected one handle per message"
    seen = []
    for _ in range(4):
        await asyncio.sleep(0.5)
        seen.append(list(log))
        await asyncio.sleep(0.5)
    assert seen == [[], ["a"], ["a", "b"], ["a", "b", "c"]], (
        f"at 0.5 s, 1.5 s, 2.5 s and 3.5 s the log was {seen}; "
        "message i is due (i + 1) * interval seconds after the call"
    )


@pytest.mark.asyncio
async def test_sequence_rejects_a_non_positive_interval():
    for interval in (0, -1.0):
        with pytest.raises(ValueError):
            mod.schedule_sequence(["a"], interval, [])


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_debouncer_runs_once_with_the_last_arguments():
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    calls = []
    debouncer = mod.Debouncer(1.0, lambda *args: calls.append((loop.time() - t0, args)))
    assert not debouncer.pending, "nothing is pending before the first trigger"
    for value in (1, 2, 3):
        debouncer.trigger(value, "x")
        await asyncio.sleep(0.5)
    assert debouncer.pending, "a call is scheduled after a trigger"
    assert not other_tasks(), "a debouncer needs a timer handle, not a task"
    await asyncio.sleep(2.0)
    assert calls == [(pytest.approx(2.0), (3, "x"))], (
        f"got calls {calls}: expected exactly one, 1.0 s after the last trigger (at 1.0 s), "
        "with its arguments (3, 'x')"
    )
    assert not debouncer.pending, "once the callback has run, nothing is pending"


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_debouncer_cancel_stops_the_pending_call():
    calls = []
    debouncer = mod.Debouncer(1.0, calls.append)
    debouncer.trigger("late")
    debouncer.cancel()
    assert not debouncer.pending, "pending must be False right after cancel()"
    await asyncio.sleep(2.0)
    assert calls == [], f"the call was cancelled, yet the callback ran: {calls}"
    debouncer.cancel()  # nothing pending: must be harmless
